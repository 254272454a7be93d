using System.Collections.Immutable;
using Membrane.Datapath.Ebpf.Loading;
using Membrane.Datapath.Ebpf.Tests.Loading;
using Membrane.Datapath.Ebpf.Tests.Support;
using Membrane.Datapath.Encoding;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Writing;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Source;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Ebpf.Tests.Differential;

/// <summary>
/// The kernel's own refusal: a policy map too small for a change, and a transaction told it has room (so that the
/// kernel, not the capacity check, is what refuses). The LPM trie answers ENOSPC part way through the writes; the
/// transaction undoes them, and the map holds exactly what it held, every endpoint on its old configuration. With the
/// real capacity, the same change is refused before anything is written.
/// </summary>
[Collection(DatapathKernelCollection.Name)]
public sealed class KernelPolicyTransactionTests
{
    private static readonly RuleOrigin Origin = new("CiliumNetworkPolicy", "default", "big", "spec.ingress[0]", new SourcePosition("big.yaml", 1, 1));

    [Fact]
    public void A_change_the_kernel_refuses_part_way_is_undone_and_one_that_does_not_fit_is_refused_first()
    {
        Root.Require();
        const int capacity = 300;
        using var kernel = new KernelRunner(TestDatapath.SmallMaps with { PolicyEntries = capacity });
        var cookies = new PolicyCookieTable();
        var writers = Enumerable.Range(1, 3).Select(i => new PolicyBufferWriter((uint)(10 + i), new EndpointConfig { EndpointId = (uint)i, Identity = (uint)(300 + i) }, cookies)).ToList();
        var initial = new PolicyTransaction(kernel.PolicyTarget, PolicyMapBudget.Unlimited);
        writers.ForEach(w => initial.Add(w.Plan(State(10))));
        Assert.Null(initial.Commit());
        var before = Snapshot(kernel.Datapath);
        Assert.Equal(60, before.Policy.Count);

        // 3 endpoints x 100 new entries in their idle buffers do not fit beside the 60 there are: the kernel refuses an
        // insert part way through the writes.
        var lying = new PolicyTransaction(kernel.PolicyTarget, PolicyMapBudget.Unlimited);
        writers.ForEach(w => lying.Add(w.Plan(State(100, offset: 100))));
        var refused = Assert.ThrowsAny<Membrane.Bpf.BpfException>(lying.WriteIdle);
        Assert.Contains("ENOSPC", refused.Message);
        Assert.Equal(before, Snapshot(kernel.Datapath), new SnapshotComparer());
        Assert.Equal(60, writers.Sum(w => w.Entries));

        // With the map's real capacity the same change never reaches the kernel.
        var honest = new PolicyTransaction(kernel.PolicyTarget, new PolicyMapBudget(kernel.Datapath.Policy.Name, kernel.Datapath.Policy.Spec.MaxEntries, writers.Sum(w => w.Entries)));
        writers.ForEach(w => honest.Add(w.Plan(State(100, offset: 100))));
        var full = Assert.Throws<MapFullException>(honest.WriteIdle);
        Assert.Equal(("mbr_policy", (long)capacity), (full.Map, full.Capacity));
        Assert.Equal(before, Snapshot(kernel.Datapath), new SnapshotComparer());

        // What fits goes through, and emptying every state frees every entry.
        var fits = new PolicyTransaction(kernel.PolicyTarget, new PolicyMapBudget("mbr_policy", capacity, writers.Sum(w => w.Entries)));
        writers.ForEach(w => fits.Add(w.Plan(State(45, offset: 100))));
        Assert.Null(fits.Commit());
        Assert.Equal(270, Snapshot(kernel.Datapath).Policy.Count);
        var empty = new PolicyTransaction(kernel.PolicyTarget, PolicyMapBudget.Unlimited);
        writers.ForEach(w => empty.Add(w.Plan(State(0))));
        Assert.Null(empty.Commit());
        Assert.Empty(Snapshot(kernel.Datapath).Policy);
    }

    private static EndpointMapState State(int count, int offset = 0)
    {
        var entries = ImmutableDictionary.CreateBuilder<PolicyKey, PolicyEntry>();
        for (var i = 0; i < count; i++)
        {
            entries[new PolicyKey(TrafficDirection.Ingress, (uint)(1000 + offset + i), IpProtocols.Tcp, 443, 16)] = new PolicyEntry(Verdict.Allow, [Origin]);
        }

        return new EndpointMapState(entries.ToImmutable(), [Origin], []);
    }

    private static (Dictionary<PolicyMapKey, PolicyMapValue> Policy, Dictionary<uint, EndpointConfig> Endpoints) Snapshot(LoadedDatapath datapath) =>
        (datapath.Policy.Entries<PolicyMapKey, PolicyMapValue>().ToDictionary(e => e.Key, e => e.Value),
         datapath.Endpoints.Entries<uint, EndpointConfig>().ToDictionary(e => e.Key, e => e.Value));

    private sealed class SnapshotComparer : IEqualityComparer<(Dictionary<PolicyMapKey, PolicyMapValue> Policy, Dictionary<uint, EndpointConfig> Endpoints)>
    {
        public bool Equals((Dictionary<PolicyMapKey, PolicyMapValue> Policy, Dictionary<uint, EndpointConfig> Endpoints) x,
            (Dictionary<PolicyMapKey, PolicyMapValue> Policy, Dictionary<uint, EndpointConfig> Endpoints) y) =>
            x.Policy.Count == y.Policy.Count && x.Policy.All(e => y.Policy.TryGetValue(e.Key, out var v) && v == e.Value) &&
            x.Endpoints.Count == y.Endpoints.Count && x.Endpoints.All(e => y.Endpoints.TryGetValue(e.Key, out var v) && v == e.Value);

        public int GetHashCode((Dictionary<PolicyMapKey, PolicyMapValue> Policy, Dictionary<uint, EndpointConfig> Endpoints) obj) => obj.Policy.Count;
    }
}
