using Membrane.Bpf.Asm;
using Membrane.Bpf.Maps;
using Membrane.Bpf.Programs;
using Membrane.Datapath.Ebpf.Generator;
using Membrane.Datapath.Layout;

namespace Membrane.Datapath.Ebpf.Loading;

/// <summary>
/// The loaded datapath: its maps and programs by role, typed writes for the node-wide state, and pinning under one
/// bpffs directory (every map and program under its own name), which is how the agent finds it again after a restart.
/// </summary>
public sealed class LoadedDatapath : IDisposable
{
    internal LoadedDatapath(Collection collection)
    {
        Collection = collection;
        foreach (var name in DatapathMapNames.All)
        {
            _ = collection.Map(name);
        }

        _ = collection.Program(DatapathProgramGenerator.FromEndpointName);
        _ = collection.Program(DatapathProgramGenerator.ToEndpointName);
        _ = collection.Program(DatapathProgramGenerator.BackstopName);
    }

    public Collection Collection { get; }

    public BpfProgram FromEndpoint => Collection.Program(DatapathProgramGenerator.FromEndpointName);

    public BpfProgram ToEndpoint => Collection.Program(DatapathProgramGenerator.ToEndpointName);

    /// <summary>The program that drops everything, attached behind the others so that an endpoint fails closed (see
    /// <see cref="DatapathProgramGenerator.Backstop"/>).</summary>
    public BpfProgram Backstop => Collection.Program(DatapathProgramGenerator.BackstopName);

    public BpfMap Endpoints => Collection.Map(DatapathMapNames.Endpoints);

    public BpfMap Policy => Collection.Map(DatapathMapNames.Policy);

    public BpfMap Ipcache => Collection.Map(DatapathMapNames.Ipcache);

    public BpfMap Conntrack => Collection.Map(DatapathMapNames.Conntrack);

    public BpfMap Fragments => Collection.Map(DatapathMapNames.Fragments);

    public BpfMap Config => Collection.Map(DatapathMapNames.Config);

    public BpfMap Counters => Collection.Map(DatapathMapNames.Counters);

    public BpfMap Bucket => Collection.Map(DatapathMapNames.Bucket);

    public BpfMap Events => Collection.Map(DatapathMapNames.Events);

    /// <summary>The program enforcing <paramref name="direction"/>.</summary>
    public BpfProgram Program(byte direction) =>
        direction == DatapathConstants.DirectionEgress ? FromEndpoint : ToEndpoint;

    /// <summary>
    /// Opens a datapath pinned by <see cref="Pin"/>. Throws <see cref="PinnedDatapathException"/> naming what is
    /// missing when the directory does not hold every map and program, or naming the maps whose layout is not the one
    /// <paramref name="options"/> gives (sizes of entries, not their number: a map keeps the capacity it was made with).
    /// </summary>
    public static LoadedDatapath OpenPinned(string directory, DatapathLoaderOptions? options = null)
    {
        var collection = Collection.OpenPinned(directory);
        try
        {
            var missing = DatapathMapNames.All.Where(name => !collection.Maps.ContainsKey(name))
                .Concat(new[] { DatapathProgramGenerator.FromEndpointName, DatapathProgramGenerator.ToEndpointName, DatapathProgramGenerator.BackstopName }
                    .Where(name => !collection.Programs.ContainsKey(name)))
                .ToArray();
            if (missing.Length > 0)
            {
                throw new PinnedDatapathException(
                    $"datapath: open pinned: '{directory}' lacks {string.Join(", ", missing)}. Hint: pin a loaded datapath there (LoadedDatapath.Pin)", otherVersion: false);
            }

            // Pins swapped between maps of different layouts would otherwise read as another version's layout; they
            // are this version's objects under the wrong names, so the datapath is incomplete, not foreign.
            if (MisnamedPin(collection) is { } misnamed)
            {
                throw new PinnedDatapathException($"datapath: open pinned: in '{directory}' {misnamed}", otherVersion: false);
            }

            // A datapath pinned by another Membrane version may lay its maps out otherwise: writing this version's
            // entries into it would be misread by its programs, so it is refused rather than half understood.
            var mismatched = DatapathLoader.MapSpecs(options).Select(expected => (expected, actual: collection.Maps[expected.Name].Spec))
                .Where(m => m.actual.Type != m.expected.Type || m.actual.KeySize != m.expected.KeySize || m.actual.ValueSize != m.expected.ValueSize)
                .Select(m => $"{m.expected.Name} is {m.actual.Type} {m.actual.KeySize}/{m.actual.ValueSize} bytes, not {m.expected.Type} {m.expected.KeySize}/{m.expected.ValueSize}")
                .ToArray();
            if (mismatched.Length > 0)
            {
                throw new PinnedDatapathException(
                    $"datapath: open pinned: the maps in '{directory}' are laid out for another version: {string.Join("; ", mismatched)}. " +
                    "Hint: delete the endpoints with the agent that made them, or remove the directory and create the endpoints again", otherVersion: true);
            }

            return new LoadedDatapath(collection);
        }
        catch
        {
            collection.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Whether the programs are whole with the maps beside them: each of the two datapath programs uses exactly these
    /// maps (a map pin replaced by another map of the same layout, or a program pin by one that uses other maps, would
    /// leave the agent writing maps no program reads), and the backstop is a program that drops everything. Null when
    /// all is well, else what is wrong. A pinned datapath is checked before it is taken back.
    /// </summary>
    public string? Inconsistency()
    {
        if (MisnamedPin(Collection) is { } misnamed)
        {
            return misnamed;
        }

        var maps = Collection.Maps.Values.ToDictionary(m => m.Id, m => m.Name);
        foreach (var program in new[] { FromEndpoint, ToEndpoint })
        {
            var used = program.MapIds.ToHashSet();
            if (!used.SetEquals(maps.Keys))
            {
                var foreign = used.Where(id => !maps.ContainsKey(id)).ToList();
                var unused = maps.Where(m => !used.Contains(m.Key)).Select(m => m.Value).ToList();
                return $"the program {program.Name} does not use the maps pinned beside it" +
                    (unused.Count > 0 ? $" (it does not use {string.Join(", ", unused)})" : "") +
                    (foreign.Count > 0 ? $" (it uses {foreign.Count} maps that are not pinned there)" : "");
            }
        }

        var backstop = Backstop.GetTranslatedInstructions();
        var dropsAll = backstop.Length == 2 && backstop[0] == AluOperation.Mov.Imm(Register.R0, DatapathConstants.ActionDrop) && backstop[1] == Instruction.Exit();
        return dropsAll ? null : $"the program {Backstop.Name} is not the backstop (r0 = {DatapathConstants.ActionDrop}; exit)";
    }

    /// <summary>
    /// Each pin must hold the object of its name (the kernel keeps the name an object was made with): two maps of one
    /// layout swapped between their pins would otherwise pass every other check. Null when all match.
    /// </summary>
    private static string? MisnamedPin(Collection collection)
    {
        foreach (var (pin, map) in collection.Maps)
        {
            if (map.Name != pin)
            {
                return $"the map pinned as {pin} is the kernel's {map.Name}";
            }
        }

        foreach (var (pin, program) in collection.Programs)
        {
            if (program.Name != pin || program.Type != ProgramType.SchedCls)
            {
                return $"the program pinned as {pin} is the kernel's {program.Type} program {program.Name}";
            }
        }

        return null;
    }

    /// <summary>Pins every map and program under <paramref name="directory"/>.</summary>
    public void Pin(string directory) => Collection.Pin(directory);

    /// <summary>
    /// Checks that every map and program is still pinned under <paramref name="directory"/> as itself, and pins again
    /// what is missing (removed from outside, say by <c>rm -r</c>): the pins are how the next agent finds these maps,
    /// and what keeps them when no program holds them. A path that holds another object is reported, never replaced.
    /// </summary>
    public IReadOnlyList<PinRepair> RepairPins(string directory)
    {
        var repairs = new List<PinRepair>();
        foreach (var map in Collection.Maps.Values)
        {
            if (PinRepair.Check(Path.Combine(directory, map.Name), map.IsPinnedAt, map.Pin) is { } repair)
            {
                repairs.Add(repair);
            }
        }

        foreach (var program in Collection.Programs.Values)
        {
            if (PinRepair.Check(Path.Combine(directory, program.Name), program.IsPinnedAt, program.Pin) is { } repair)
            {
                repairs.Add(repair);
            }
        }

        return repairs;
    }

    public void Unpin() => Collection.Unpin();

    public void SetConfig(in DatapathConfig config) => Config.Update(0u, config);

    public DatapathConfig GetConfig() => Config.TryLookup(0u, out DatapathConfig config) ? config : default;

    public void SetEndpoint(uint ifindex, in EndpointConfig config) => Endpoints.Update(ifindex, config);

    public bool DeleteEndpoint(uint ifindex) => Endpoints.Delete(ifindex);

    /// <summary>Maps <paramref name="addressPrefixLength"/> bits of <paramref name="address"/> to <paramref name="identity"/>.</summary>
    public void SetIpcache(byte family, in IpAddress16 address, int addressPrefixLength, uint identity) =>
        Ipcache.Update(IpcacheKey.Of(family, address, addressPrefixLength), new IpcacheValue { Identity = identity });

    public bool TryGetConntrack(in ConntrackKey key, out ConntrackEntry entry) => Conntrack.TryLookup(key, out entry);

    public IEnumerable<KeyValuePair<ConntrackKey, ConntrackEntry>> ConntrackEntries() => Conntrack.Entries<ConntrackKey, ConntrackEntry>();

    public IEnumerable<KeyValuePair<FragmentKey, FragmentEntry>> FragmentEntries() => Fragments.Entries<FragmentKey, FragmentEntry>();

    /// <summary>The counter of <paramref name="slot"/>, summed over every CPU.</summary>
    public ulong Counter(int slot)
    {
        var values = new ulong[BpfMap.PossibleCpuCount];
        return Counters.TryLookupPerCpu((uint)slot, values.AsSpan()) ? values.Aggregate(0ul, (sum, value) => sum + value) : 0;
    }

    /// <summary>The counter of a verdict, summed over every CPU.</summary>
    public ulong Counter(VerdictReason reason, byte direction, ProtocolClass protocol) =>
        Counter(ProtocolClassExtensions.CounterSlot(reason, direction, protocol));

    public void Dispose() => Collection.Dispose();
}
