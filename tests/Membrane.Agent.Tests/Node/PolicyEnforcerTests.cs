using System.Net;
using Membrane.Agent.Node;
using Membrane.Datapath;
using Membrane.Datapath.Encoding;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Packets;
using Membrane.Datapath.Twin;
using Membrane.Datapath.Writing;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Engine.Service;
using Membrane.Policy.Validation;

namespace Membrane.Agent.Tests.Node;

/// <summary>
/// The control plane's core without root: <see cref="PolicyEnforcer"/> drives the datapath twin's maps exactly as it
/// drives the kernel's, and the twin decides packets between any two of its writes. A policy change over several
/// endpoints and the ipcache (CIDR identities added and dropped, a Kubernetes ipBlock that selects an endpoint by
/// address) gives every flow its old or its new verdict after every single write; a change that does not fit writes
/// nothing; a change the maps refuse part way, at whichever write, is taken back whole.
/// </summary>
public sealed class PolicyEnforcerTests
{
    private const string Before = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: a, namespace: default}
        spec:
          endpointSelector: {matchLabels: {app: a}}
          egress: [{toCIDR: [10.0.0.0/8], toPorts: [{ports: [{port: "80", protocol: TCP}]}]}]
        ---
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: b, namespace: default}
        spec:
          endpointSelector: {matchLabels: {app: b}}
          ingress: [{fromEndpoints: [{matchLabels: {app: a}}]}]
        """;

    private const string After = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: a, namespace: default}
        spec:
          endpointSelector: {matchLabels: {app: a}}
          egress:
          - toCIDRSet: [{cidr: 10.1.0.0/16, except: [10.1.2.0/24]}]
          - toEndpoints: [{matchLabels: {app: b}}]
            toPorts: [{ports: [{port: "443", protocol: TCP}]}]
        ---
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: {name: b, namespace: default}
        spec:
          podSelector: {matchLabels: {app: b}}
          ingress: [{from: [{ipBlock: {cidr: 10.0.0.0/30}}]}]
        """;

    private static readonly (string Name, string Address, string Labels)[] Pods =
        [("a", "10.0.0.1", "k8s:app=a"), ("b", "10.0.0.2", "k8s:app=b"), ("c", "10.0.0.9", "k8s:app=c")];

    /// <summary>Flows as (endpoint, direction, peer address, port): a's egress and b's ingress.</summary>
    private static readonly (string Endpoint, byte Direction, string Peer, ushort Port)[] Flows =
    [
        ("a", DatapathConstants.DirectionEgress, "10.1.2.3", 80), ("a", DatapathConstants.DirectionEgress, "10.1.3.3", 80),
        ("a", DatapathConstants.DirectionEgress, "10.1.3.3", 22), ("a", DatapathConstants.DirectionEgress, "10.9.9.9", 80),
        ("a", DatapathConstants.DirectionEgress, "10.0.0.2", 80), ("a", DatapathConstants.DirectionEgress, "10.0.0.2", 443),
        ("a", DatapathConstants.DirectionEgress, "10.0.0.9", 80), ("a", DatapathConstants.DirectionEgress, "192.0.2.1", 80),
        ("b", DatapathConstants.DirectionIngress, "10.0.0.1", 80), ("b", DatapathConstants.DirectionIngress, "10.0.0.9", 80),
        ("b", DatapathConstants.DirectionIngress, "10.0.0.3", 80), ("b", DatapathConstants.DirectionIngress, "10.0.5.5", 80),
    ];

    [Fact]
    public void A_policy_change_gives_every_flow_its_old_or_its_new_verdict_after_every_single_write()
    {
        var expected = new TwinNode();
        expected.Change(Before);
        var before = expected.Verdicts();
        expected.Change(After);
        var after = expected.Verdicts();
        Assert.NotEqual(before, after); // the change matters to the flows checked

        var node = new TwinNode();
        node.Change(Before);
        var writes = 0;
        node.Target.AfterEachWrite = what =>
        {
            writes++;
            var now = node.Verdicts();
            for (var i = 0; i < Flows.Length; i++)
            {
                Assert.True(now[i] == before[i] || now[i] == after[i],
                    $"after write {writes} ({what}): {Describe(Flows[i])} was {before[i]} and will be {after[i]}, but is {now[i]}");
            }
        };
        node.Change(After);

        Assert.Equal(after, node.Verdicts());
        Assert.True(writes > 20, $"only {writes} writes were checked");

        // The CIDR identities of the first policies are gone from the ipcache, and only what the second names is there.
        AssertSame(node.Enforcer.DesiredIpcache(), node.Ipcache());
        Assert.DoesNotContain(node.Policies.Identities.All, i => i.Labels.ToString() == "cidr:10.0.0.0/8");
    }

    [Fact]
    public void A_change_that_does_not_fit_is_refused_and_leaves_nothing_behind()
    {
        var node = new TwinNode(policyCapacity: 40);
        node.Change(Before);
        var (verdicts, entries, ipcache, revision) = (node.Verdicts(), node.Maps.Policy.Count, node.Ipcache(), node.Policies.Revision);

        var refused = Assert.Throws<MapFullException>(() => node.Change(After + "\n---\n" + ManyPorts()));

        Assert.Equal("policy", refused.Map);
        Assert.Equal(verdicts, node.Verdicts());
        Assert.Equal(entries, node.Maps.Policy.Count);
        AssertSame(ipcache, node.Ipcache());
        Assert.Equal(revision, node.Policies.Revision);

        // And a change that fits is made.
        node.Change(After);
        Assert.True(node.Policies.Revision > revision);
    }

    [Fact]
    public void A_change_the_maps_refuse_at_any_write_is_taken_back_whole()
    {
        var probe = new TwinNode();
        probe.Change(Before);
        var total = 0;
        probe.Target.AfterEachWrite = _ => total++;
        probe.Change(After);

        for (var failAt = 1; failAt <= total; failAt++)
        {
            var node = new TwinNode();
            node.Change(Before);
            var (verdicts, revision, ipcache) = (node.Verdicts(), node.Policies.Revision, node.Ipcache());
            node.Target.FailAt = failAt;
            var thrown = Record.Exception(() => node.Change(After));
            node.Target.FailAt = 0;

            if (thrown is null)
            {
                // A write after the switch failed: the change stands, and the next change finishes what was left.
                Assert.True(node.Policies.Revision > revision, $"write {failAt}: no failure, yet no change");
                node.Enforcer.Enforce(node.Endpoints);
                Assert.Equal(probe.Verdicts(), node.Verdicts());
                continue;
            }

            Assert.Equal(revision, node.Policies.Revision);
            Assert.Equal(verdicts, node.Verdicts());
            AssertSame(node.Enforcer.DesiredIpcache(), node.Ipcache());
            Assert.Equal(ipcache.Count, node.Ipcache().Count);
        }
    }

    private static void AssertSame(IReadOnlyDictionary<IpcacheKey, IpcacheValue> expected, IReadOnlyDictionary<IpcacheKey, IpcacheValue> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        Assert.All(expected, e => Assert.True(actual.TryGetValue(e.Key, out var value) && value == e.Value, $"ipcache {e.Key}: {e.Value.Identity}"));
    }

    private static string ManyPorts() => $$"""
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: ports, namespace: default}
        spec:
          endpointSelector: {}
          ingress: [{toPorts: [{ports: [{{string.Join(", ", Enumerable.Range(1000, 40).Select(p => $"{{port: \"{p}\", protocol: TCP}}"))}}]}]}]
        """;

    private static string Describe((string Endpoint, byte Direction, string Peer, ushort Port) flow) =>
        $"{flow.Endpoint} {(flow.Direction == DatapathConstants.DirectionEgress ? "to" : "from")} {flow.Peer}:{flow.Port}";

    /// <summary>A node of three endpoints whose maps are the twin's, written through a target that can watch or fail each write.</summary>
    private sealed class TwinNode
    {
        private readonly Dictionary<string, (uint Ifindex, IPAddress Address)> _pods = [];

        public TwinNode(long policyCapacity = 100_000)
        {
            Target = new WatchedTarget(Maps);
            Enforcer = new PolicyEnforcer(Policies, Target, new MapLimit("policy", policyCapacity), Target, new MapLimit("ipcache", 1000));
            var cookies = new PolicyCookieTable();
            uint ifindex = 10;
            foreach (var (name, address, labels) in Pods)
            {
                var ip = IPAddress.Parse(address);
                var identity = Policies.Identities.AddEndpoint(LabelSet.Parse(labels + ",k8s:io.kubernetes.pod.namespace=default"),
                    addresses: [ip, IPAddress.Parse($"fd00::{ifindex}")]);
                var config = new EndpointConfig { EndpointId = ifindex, Identity = identity.Id }.WithAddresses(ip, IPAddress.Parse($"fd00::{ifindex}"));
                Endpoints.Add(new PolicyEnforcer.Enforced(identity.Id, new PolicyBufferWriter(++ifindex, config, cookies)));
                _pods[name] = (ifindex, ip);
            }

            Enforcer.Enforce(Endpoints);
        }

        public PolicyService Policies { get; } = new();

        public TwinMaps Maps { get; } = new();

        public WatchedTarget Target { get; }

        public PolicyEnforcer Enforcer { get; }

        public List<PolicyEnforcer.Enforced> Endpoints { get; } = [];

        public PolicyChange Change(string yaml)
        {
            var staged = Policies.Stage([new PolicyText("policies.yaml", yaml)]);
            Assert.True(staged.IsValid, string.Join("\n", staged.Report.Files.SelectMany(f => f.AllFindings)));
            return Enforcer.ChangePolicies(staged, () => Endpoints);
        }

        /// <summary>Each flow's verdict now, as a new flow (conntrack emptied first, so that policy decides).</summary>
        public bool[] Verdicts() => [.. Flows.Select(flow =>
        {
            Maps.Conntrack.Clear();
            Maps.Fragments.Clear();
            var (ifindex, address) = _pods[flow.Endpoint];
            var peer = IPAddress.Parse(flow.Peer);
            var builder = flow.Direction == DatapathConstants.DirectionEgress ? PacketBuilder.Between(address, peer) : PacketBuilder.Between(peer, address);
            return new DatapathTwin(Maps).Process(builder.Tcp(40000, flow.Port).Build(), ifindex, flow.Direction, 1).Passed;
        })];

        public List<KeyValuePair<PolicyMapKey, PolicyMapValue>> PolicyEntries() =>
            [.. Maps.Policy.Entries.Select(e => KeyValuePair.Create(e.Key, e.Value)).OrderBy(e => e.Key.ToString())];

        public Dictionary<IpcacheKey, IpcacheValue> Ipcache() => Maps.Ipcache.Entries.ToDictionary(e => e.Key, e => e.Value);
    }

    /// <summary>The twin's maps behind a target that reports each write, and refuses the <see cref="FailAt"/>-th (1 = the first).</summary>
    private sealed class WatchedTarget(TwinMaps maps) : IPolicyMapTarget, IIpcacheTarget
    {
        private int _writes;

        public Action<string>? AfterEachWrite { get; set; }

        public int FailAt
        {
            get;
            set
            {
                field = value;
                _writes = 0;
            }
        }

        public void UpsertPolicy(in PolicyMapKey key, in PolicyMapValue value)
        {
            var (k, v) = (key, value);
            Write($"policy + {k}", () => maps.UpsertPolicy(k, v));
        }

        public void DeletePolicy(in PolicyMapKey key)
        {
            var k = key;
            Write($"policy - {k}", () => maps.DeletePolicy(k));
        }

        public void SetEndpoint(uint ifindex, in EndpointConfig config)
        {
            var c = config;
            Write($"endpoint {ifindex} -> buffer {c.PolicyId & 1}", () => maps.SetEndpoint(ifindex, c));
        }

        public void DeleteEndpoint(uint ifindex) => Write($"endpoint {ifindex} removed", () => maps.DeleteEndpoint(ifindex));

        public void UpsertIpcache(in IpcacheKey key, in IpcacheValue value)
        {
            var (k, v) = (key, value);
            Write($"ipcache + {k} = {v.Identity}", () => maps.UpsertIpcache(k, v));
        }

        public void DeleteIpcache(in IpcacheKey key)
        {
            var k = key;
            Write($"ipcache - {k}", () => maps.DeleteIpcache(k));
        }

        private void Write(string what, Action operation)
        {
            if (FailAt > 0 && ++_writes == FailAt)
            {
                // As the kernel refuses a write: ENOSPC from BPF_MAP_UPDATE_ELEM.
                throw new Membrane.Bpf.BpfException(Membrane.Bpf.BpfCommand.MapUpdateElem, 28);
            }

            operation();
            AfterEachWrite?.Invoke(what);
        }
    }
}
