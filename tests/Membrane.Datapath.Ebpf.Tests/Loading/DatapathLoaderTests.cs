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

    /// <summary>
    /// What cannot be taken back, and whether it is another version's (a person decides what to do with its endpoints)
    /// or this version's left incomplete (it can be replaced): a pin removed, two maps of different layouts swapped
    /// between their pins (the layout check alone would call that another version's), and a map of its name laid out
    /// otherwise.
    /// </summary>
    [Theory]
    [InlineData("missing program", false, "lacks mbr_to_ep")]
    [InlineData("swapped maps", false, "the map pinned as mbr_ct is the kernel's mbr_fragments")]
    [InlineData("other layout", true, "mbr_policy is LpmTrie")]
    public void A_pinned_datapath_that_cannot_be_taken_back_is_refused_saying_why(string tampering, bool otherVersion, string says)
    {
        Root.Require();
        BpfFileSystem.EnsureMounted();
        var directory = Path.Combine(PinRoot, $"mbrdp_{Environment.ProcessId}_{Guid.NewGuid():N}"[..24]);
        try
        {
            using (var datapath = DatapathLoader.Load(TestDatapath.SmallMaps))
            {
                datapath.Pin(directory);
                switch (tampering)
                {
                    case "missing program":
                        datapath.ToEndpoint.Unpin();
                        break;
                    case "swapped maps":
                        // rename(2) within bpffs (names with a dot are refused there).
                        var ct = Path.Combine(directory, DatapathMapNames.Conntrack);
                        var fragments = Path.Combine(directory, DatapathMapNames.Fragments);
                        Command.Check("mv", ct, ct + "_aside");
                        Command.Check("mv", fragments, ct);
                        Command.Check("mv", ct + "_aside", fragments);
                        break;
                    default:
                        var spec = datapath.Collection.Maps[DatapathMapNames.Policy].Spec;
                        using (var other = Membrane.Bpf.Maps.BpfMap.Create(spec with { ValueSize = spec.ValueSize + 4 }))
                        {
                            File.Delete(Path.Combine(directory, DatapathMapNames.Policy));
                            other.Pin(Path.Combine(directory, DatapathMapNames.Policy));
                        }

                        break;
                }
            }

            var error = Assert.Throws<PinnedDatapathException>(() => LoadedDatapath.OpenPinned(directory, TestDatapath.SmallMaps));
            Assert.Contains(says, error.Message);
            Assert.Equal(otherVersion, error.OtherVersion);
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
