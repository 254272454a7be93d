using Membrane.Bpf;
using Membrane.Datapath.Ebpf.Loading;
using Membrane.Datapath.Ebpf.Generator;
using Membrane.Datapath.Ebpf.Tests.Support;
using Membrane.Datapath.Layout;

namespace Membrane.Datapath.Ebpf.Tests.Loading;

[Collection(DatapathKernelCollection.Name)]
public sealed class DatapathLoaderTests
{
    private const string PinRoot = "/sys/fs/bpf/membrane-test";

    [Fact]
    public void Load_creates_every_map_with_its_size_and_writes_the_default_configuration()
    {
        Root.Require();
        using var datapath = DatapathLoader.Load(TestDatapath.SmallMaps);
        Assert.Equal(DatapathConfig.Default, datapath.GetConfig());
        Assert.Equal(TestDatapath.SmallMaps.ConntrackEntries, datapath.Conntrack.Spec.MaxEntries);
        Assert.Equal(DatapathConstants.CounterSlots, datapath.Counters.Spec.MaxEntries);
        Assert.Equal(DatapathMapNames.All.Order(StringComparer.Ordinal), datapath.Collection.Maps.Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_pinned_datapath_opens_again_with_its_state()
    {
        Root.Require();
        BpfFileSystem.EnsureMounted();
        var directory = Path.Combine(PinRoot, $"mbrdp_{Environment.ProcessId}_{Guid.NewGuid():N}"[..24]);
        try
        {
            using (var datapath = DatapathLoader.Load(TestDatapath.SmallMaps))
            {
                new KernelPolicyMapTarget(datapath).SetEndpoint(5, new EndpointConfig { EndpointId = 3, Identity = 42 });
                datapath.Pin(directory);
            }

            using var reopened = LoadedDatapath.OpenPinned(directory);
            Assert.True(reopened.Endpoints.TryLookup(5u, out EndpointConfig config));
            Assert.Equal(42u, config.Identity);
            Assert.Equal(DatapathProgramGenerator.FromEndpointName, reopened.FromEndpoint.Name);
            Assert.Equal(DatapathProgramGenerator.ToEndpointName, reopened.ToEndpoint.Name);
            new KernelPolicyMapTarget(reopened).DeleteEndpoint(5);
            Assert.False(reopened.Endpoints.TryLookup(5u, out config));
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            if (Directory.Exists(PinRoot) && !Directory.EnumerateFileSystemEntries(PinRoot).Any())
            {
                Directory.Delete(PinRoot);
            }
        }
    }

    [Fact]
    public void A_directory_missing_a_program_is_refused_naming_it()
    {
        Root.Require();
        BpfFileSystem.EnsureMounted();
        var directory = Path.Combine(PinRoot, $"mbrdp_{Environment.ProcessId}_{Guid.NewGuid():N}"[..24]);
        try
        {
            using (var datapath = DatapathLoader.Load(TestDatapath.SmallMaps))
            {
                datapath.Pin(directory);
                datapath.ToEndpoint.Unpin();
            }

            var error = Assert.Throws<InvalidOperationException>(() => LoadedDatapath.OpenPinned(directory));
            Assert.Contains("lacks mbr_to_ep", error.Message);
        }
        finally
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            if (Directory.Exists(PinRoot) && !Directory.EnumerateFileSystemEntries(PinRoot).Any())
            {
                Directory.Delete(PinRoot);
            }
        }
    }
}
