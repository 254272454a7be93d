using Membrane.Datapath.Ebpf.Loading;

namespace Membrane.Datapath.Ebpf.Tests.Loading;

/// <summary>A datapath with small maps, quick to create and light on the kernel.</summary>
internal static class TestDatapath
{
    public static DatapathLoaderOptions SmallMaps { get; } = new()
    {
        Endpoints = 16,
        PolicyEntries = 256,
        IpcacheEntries = 256,
        ConntrackEntries = 256,
        FragmentEntries = 64,
        EventRingBytes = 1 << 16,
    };
}
