using System.Runtime.CompilerServices;
using Membrane.Bpf.Maps;
using Membrane.Bpf.Programs;
using Membrane.Datapath.Ebpf.Generator;
using Membrane.Datapath.Layout;

namespace Membrane.Datapath.Ebpf.Loading;

/// <summary>
/// Builds the datapath's <see cref="CollectionSpec"/> (the maps of docs/datapath.md §3 and the two generated
/// programs) and loads it: the maps first, then the programs against them, then <c>mbr_config</c> set to the
/// configuration. Pinning and reopening go through <see cref="LoadedDatapath"/>.
/// </summary>
public static class DatapathLoader
{
    /// <summary>The maps of docs/datapath.md §3, sized by <paramref name="options"/>.</summary>
    public static IReadOnlyList<MapSpec> MapSpecs(DatapathLoaderOptions? options = null)
    {
        options ??= DatapathLoaderOptions.Default;
        return
        [
            // No prealloc: an update replaces the element under RCU, so a packet reads the old or the new config (§9).
            MapSpec.For<uint, EndpointConfig>(DatapathMapNames.Endpoints, MapType.Hash, options.Endpoints, MapFlags.NoPrealloc),
            new(DatapathMapNames.Policy, MapType.LpmTrie, Unsafe.SizeOf<PolicyMapKey>(), Unsafe.SizeOf<PolicyMapValue>(), options.PolicyEntries, MapFlags.NoPrealloc),
            new(DatapathMapNames.Ipcache, MapType.LpmTrie, Unsafe.SizeOf<IpcacheKey>(), Unsafe.SizeOf<IpcacheValue>(), options.IpcacheEntries, MapFlags.NoPrealloc),
            MapSpec.For<ConntrackKey, ConntrackEntry>(DatapathMapNames.Conntrack, MapType.LruHash, options.ConntrackEntries),
            MapSpec.For<FragmentKey, FragmentEntry>(DatapathMapNames.Fragments, MapType.LruHash, options.FragmentEntries),
            MapSpec.For<uint, DatapathConfig>(DatapathMapNames.Config, MapType.Array, 1),
            MapSpec.For<uint, ulong>(DatapathMapNames.Counters, MapType.PerCpuArray, DatapathConstants.CounterSlots),
            MapSpec.For<uint, TokenBucket>(DatapathMapNames.Bucket, MapType.PerCpuArray, 1),
            MapSpec.RingBuffer(DatapathMapNames.Events, options.EventRingBytes),
        ];
    }

    /// <summary>The maps, both programs and the fail-closed backstop.</summary>
    public static CollectionSpec Spec(DatapathLoaderOptions? options = null) =>
        new(MapSpecs(options), [DatapathProgramGenerator.FromEndpoint(), DatapathProgramGenerator.ToEndpoint(), DatapathProgramGenerator.Backstop()]);

    /// <summary>Creates the maps, loads both programs (through the verifier) and writes the configuration.</summary>
    public static LoadedDatapath Load(DatapathLoaderOptions? options = null)
    {
        options ??= DatapathLoaderOptions.Default;
        var collection = Collection.Load(Spec(options), options.ProgramLoadOptions);
        try
        {
            var datapath = new LoadedDatapath(collection);
            datapath.SetConfig(options.Config);
            return datapath;
        }
        catch
        {
            collection.Dispose();
            throw;
        }
    }
}
