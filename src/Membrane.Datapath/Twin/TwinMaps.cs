using System.Net;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Writing;

namespace Membrane.Datapath.Twin;

/// <summary>
/// The twin's copy of the datapath's maps (docs/datapath.md §3), as plain collections. The policy writer writes into
/// it through <see cref="IPolicyMapTarget"/> exactly as it writes the kernel's maps; <see cref="DatapathTwin"/> reads
/// it and mutates conntrack, fragments, the counters and the token bucket as the program does. One CPU: one bucket,
/// one counter array.
/// </summary>
public sealed class TwinMaps : IPolicyMapTarget, IIpcacheTarget
{
    public Dictionary<uint, EndpointConfig> Endpoints { get; } = [];

    public ManagedLpmTrie<PolicyMapKey, PolicyMapValue> Policy { get; } = new();

    public ManagedLpmTrie<IpcacheKey, IpcacheValue> Ipcache { get; } = new();

    /// <summary>Unbounded here: the kernel's LRU evicts only under pressure, which the twin's tests never reach.</summary>
    public Dictionary<ConntrackKey, ConntrackEntry> Conntrack { get; } = [];

    public Dictionary<FragmentKey, FragmentEntry> Fragments { get; } = [];

    public DatapathConfig Config { get; set; } = DatapathConfig.Default;

    public TokenBucket Bucket { get; set; }

    public ulong[] Counters { get; } = new ulong[DatapathConstants.CounterSlots];

    public void UpsertPolicy(in PolicyMapKey key, in PolicyMapValue value) => Policy.Update(key, value);

    public void DeletePolicy(in PolicyMapKey key) => Policy.Delete(key);

    public void SetEndpoint(uint ifindex, in EndpointConfig config) => Endpoints[ifindex] = config;

    public void DeleteEndpoint(uint ifindex) => Endpoints.Remove(ifindex);

    public void UpsertIpcache(in IpcacheKey key, in IpcacheValue value) => Ipcache.Update(key, value);

    public void DeleteIpcache(in IpcacheKey key) => Ipcache.Delete(key);

    /// <summary>Maps every address of <paramref name="prefix"/> to <paramref name="identity"/>.</summary>
    public void SetIpcache(IPNetwork prefix, uint identity) =>
        Ipcache.Update(IpcacheKey.Of(prefix),
            new IpcacheValue { Identity = identity });

    public bool DeleteIpcache(IPNetwork prefix) =>
        Ipcache.Delete(IpcacheKey.Of(prefix));

    public ulong Counter(VerdictReason reason, byte direction, ProtocolClass protocol) =>
        Counters[ProtocolClassExtensions.CounterSlot(reason, direction, protocol)];
}
