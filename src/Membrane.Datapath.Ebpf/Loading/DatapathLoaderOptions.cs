using Membrane.Bpf.Programs;

namespace Membrane.Datapath.Ebpf.Loading;

/// <summary>The sizes of the datapath's maps (defaults from <see cref="DatapathConstants"/>) and how to load the
/// programs. Tests use small sizes so that creating the maps is quick and light.</summary>
public sealed record DatapathLoaderOptions
{
    public int Endpoints { get; init; } = DatapathConstants.DefaultEndpoints;

    public int PolicyEntries { get; init; } = DatapathConstants.DefaultPolicyEntries;

    public int IpcacheEntries { get; init; } = DatapathConstants.DefaultIpcacheEntries;

    public int ConntrackEntries { get; init; } = DatapathConstants.DefaultConntrackEntries;

    public int FragmentEntries { get; init; } = DatapathConstants.DefaultFragmentEntries;

    /// <summary>The ring buffer's size in bytes: a power of two and a multiple of the page size.</summary>
    public int EventRingBytes { get; init; } = DatapathConstants.EventRingBytes;

    /// <summary>The node configuration written to <c>mbr_config</c> at load.</summary>
    public Layout.DatapathConfig Config { get; init; } = Layout.DatapathConfig.Default;

    public ProgramLoadOptions ProgramLoadOptions { get; init; } = ProgramLoadOptions.Default;

    public static DatapathLoaderOptions Default { get; } = new();
}
