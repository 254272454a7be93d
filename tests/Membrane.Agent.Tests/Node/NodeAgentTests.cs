using System.Net;
using System.Security.Cryptography;
using Membrane.Agent.Node;
using Membrane.Datapath.Ebpf.Loading;
using Membrane.Netlink;
using Membrane.Netlink.Namespaces;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Validation;

namespace Membrane.Agent.Tests.Node;

/// <summary>
/// The node agent as a library, in a node namespace of the test's own (mbrna…): endpoints made with their networks,
/// identities and programs, an ICMP policy imported, and real ping deciding by it; then a policy change and a delete.
/// </summary>
[Collection(AgentKernelCollection.Name)]
public sealed class NodeAgentTests
{
    internal const string DbAcceptsPingFromWeb = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: db, namespace: default}
        spec:
          endpointSelector: {matchLabels: {app: db}}
          ingress:
          - fromEndpoints: [{matchLabels: {app: web}}]
            icmps: [{fields: [{type: EchoRequest, family: IPv4}]}]
        """;

    [Fact]
    public void Endpoints_and_an_imported_ICMP_policy_decide_real_pings_and_delete_leaves_nothing()
    {
        Root.Require();
        var s = RandomNumberGenerator.GetInt32(0, 256);
        var nodeName = Unique();
        using var node = NetworkNamespace.Create(nodeName);
        try
        {
            using var agent = NodeAgent.Start(Options(node, nodeName, $"10.237.{s}.0/24", $"fd00:237:{s:x}::/64"));
            var web = agent.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=web"));
            var db = agent.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=db"));
            var other = agent.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=other"));
            Assert.Equal(3, agent.Endpoints.Count);
            Assert.NotEqual(web.Identity, db.Identity);
            Assert.Contains("k8s:io.kubernetes.pod.namespace=default", web.Labels);

            // No policy: everything passes.
            Assert.True(Command.PingEventually(other.Name, db.Network.IPv4.ToString()), "no policy selects db yet");

            var change = agent.Import([new PolicyText("db.yaml", DbAcceptsPingFromWeb)]);
            Assert.True(change.Applied);
            Assert.True(Command.PingEventually(web.Name, db.Network.IPv4.ToString()), "web may ping db");
            Assert.False(Command.Ping(other.Name, db.Network.IPv4.ToString()), "other may not ping db: the policy selects db now");
            Assert.False(Command.Ping(web.Name, db.Network.IPv6.ToString()), "the rule is IPv4 only");

            // A second web endpoint shares web's identity, and is allowed as web is.
            var web2 = agent.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=web"));
            Assert.Equal(web.Identity, web2.Identity);
            Assert.True(Command.PingEventually(web2.Name, db.Network.IPv4.ToString()), "web2 has web's identity");

            // Deleting the policy makes db default-allow again.
            agent.DeletePolicies(agent.Policies.Repository.Resources.Select(r => r.Key).ToList());
            Assert.True(Command.PingEventually(other.Name, db.Network.IPv4.ToString()), "with the policy gone, other may ping db");

            foreach (var record in agent.Endpoints)
            {
                Assert.True(agent.DeleteEndpoint(record.Name));
                Assert.False(NetworkNamespace.Exists(record.Name));
            }

            // When a delete returns its configuration is gone, so its programs, attached until its veth goes, drop
            // everything through it (unknown endpoint); the kernel removes the veth with the namespace soon after
            // (behind the call: docs/performance.md).
            Assert.Empty(agent.Endpoints);
            Assert.Empty(agent.Datapath.Endpoints.Keys<uint>());
            using var links = Rtnetlink.Open(node);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (links.ListLinks().Any(l => l.Name.StartsWith("mbr", StringComparison.Ordinal)) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(50);
            }

            Assert.DoesNotContain(links.ListLinks(), l => l.Name.StartsWith("mbr", StringComparison.Ordinal));
        }
        finally
        {
            NetworkNamespace.Delete(nodeName);
        }
    }

    [Fact]
    public void A_bad_endpoint_name_is_refused_before_anything_is_made()
    {
        Root.Require();
        WithAgent(agent =>
        {
            Assert.Contains("DNS label", Assert.Throws<ArgumentException>(() => agent.CreateEndpoint("../x", LabelSet.Parse("k8s:app=web"))).Message);
            Assert.Empty(agent.Endpoints);
        });
    }

    /// <summary>
    /// A delete's slow part (the kernel removing the host veth) happens behind the call, and that must open nothing: a
    /// process that keeps the deleted endpoint's namespace alive (here a ping started in it before the delete) can send
    /// nothing through the veth once the call returns, the veth is removed all the same within seconds, and an endpoint
    /// of the same name can be made again at once.
    /// </summary>
    [Fact]
    public async Task A_deleted_endpoint_sends_nothing_even_when_its_namespace_lives_on_and_its_name_is_free_at_once()
    {
        Root.Require();
        await WithAgentAsync(async (agent, node) =>
        {
            var web = agent.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=web"));
            var db = agent.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=db"));
            Assert.True(Command.PingEventually(db.Name, web.Network.IPv4.ToString()), "db -> web before");

            // A long ping from inside db's namespace holds it open past the delete (ip netns exec keeps a reference).
            var held = Command.PingCountsAsync(db.Name, web.Network.IPv4.ToString(), 150, 0.02);
            await Task.Delay(500, TestContext.Current.CancellationToken);
            Assert.True(agent.DeleteEndpoint(db.Name));
            // 150 pings 20 ms apart, the delete 0.5 s in: about 25 answered before it, none after (up to 40 allowed
            // for a slow start).
            var (sent, received) = await held;
            Assert.True(sent >= 140 && received <= 40, $"the held ping: {received} of {sent} answered; after the delete none may be");

            using var links = Rtnetlink.Open(node);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (links.FindLink(db.Network.HostInterface) is not null && DateTime.UtcNow < deadline)
            {
                await Task.Delay(100, TestContext.Current.CancellationToken);
            }

            Assert.Null(links.FindLink(db.Network.HostInterface));

            var again = agent.CreateEndpoint(db.Name, LabelSet.Parse("k8s:app=db"));
            Assert.True(Command.PingEventually(again.Name, web.Network.IPv4.ToString()), "a new db of the same name");
        });
    }

    /// <summary>
    /// A label change that does not fit is taken back whole. x's policy allows egress to 600 ports, so an endpoint that
    /// becomes app=x needs 1,200 more entries (two buffers) than the 1,024 the test's map holds: the change is refused
    /// at its second step, after its addresses, record and writer have moved to the new identity. Everything goes back:
    /// its labels and identity, the ipcache, the kernel's configuration for it, and no identity of app=x is left; then a
    /// change that fits is made.
    /// </summary>
    [Fact]
    public void A_label_change_that_does_not_fit_is_taken_back_whole()
    {
        Root.Require();
        WithAgent(agent =>
        {
            var web = agent.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=web"));
            // 15 port lists of 40, the most one list may hold (Cilium's CRD).
            var ports = string.Join(", ", Enumerable.Range(0, 15).Select(list =>
                "{ports: [" + string.Join(", ", Enumerable.Range(1000 + list * 40, 40).Select(p => $"{{port: \"{p}\", protocol: TCP}}")) + "]}"));
            Assert.True(agent.Import([new PolicyText("x.yaml", $$$"""
                apiVersion: cilium.io/v2
                kind: CiliumNetworkPolicy
                metadata: {name: x, namespace: default}
                spec:
                  endpointSelector: {matchLabels: {app: x}}
                  egress:
                  - toEntities: [world]
                    toPorts: [{{{ports}}}]
                """)]).Applied);
            var ipcacheBefore = agent.LiveIpcache();
            Assert.True(agent.Datapath.Endpoints.TryLookup((uint)web.Network.HostIndex, out Membrane.Datapath.Layout.EndpointConfig configBefore));

            var refused = Assert.Throws<Membrane.Datapath.Writing.MapFullException>(() => agent.SetLabels(web.Name, LabelSet.Parse("k8s:app=x"), []));
            Assert.Contains("mbr_policy", refused.Message);

            var after = agent.Endpoint(web.Name)!;
            Assert.Equal(web.Identity, after.Identity);
            Assert.Equal(web.Labels, after.Labels);
            Assert.Equal(ipcacheBefore, agent.LiveIpcache());
            Assert.True(agent.Datapath.Endpoints.TryLookup((uint)web.Network.HostIndex, out Membrane.Datapath.Layout.EndpointConfig configAfter));
            Assert.Equal(configBefore.Identity, configAfter.Identity);
            Assert.DoesNotContain(agent.Policies.Identities.All, i => i.Labels.Labels.Any(l => l.Key == "app" && l.Value == "x"));
            Assert.Equal(agent.PolicyMapUsage.InUse, agent.Datapath.Policy.Keys<Membrane.Datapath.Layout.PolicyMapKey>().Count()); // nothing left behind

            var fits = agent.SetLabels(web.Name, LabelSet.Parse("k8s:tier=front"), []);
            Assert.NotEqual(web.Identity, fits.Identity);
            Assert.Contains("k8s:tier=front", fits.Labels);
        });
    }

    /// <summary>
    /// What the monitor looks up for every event does not wait for a change: with the agent's lock held, as a policy
    /// change holds it while it regenerates every endpoint, an endpoint, its identity's endpoint and its labels are
    /// answered as the last change left them. (Before, each lookup took the lock, and events waited in the ring buffer.)
    /// </summary>
    [Fact]
    public async Task What_the_monitor_looks_up_is_answered_while_a_change_holds_the_lock()
    {
        Root.Require();
        await WithAgentAsync(async agent =>
        {
            var web = agent.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=web"));
            var gate = (Lock)typeof(NodeAgent).GetField("_lock", System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance)!.GetValue(agent)!;
            using var held = new ManualResetEventSlim();
            using var release = new ManualResetEventSlim();
            var holder = Task.Factory.StartNew(() =>
            {
                lock (gate)
                {
                    held.Set();
                    release.Wait(TimeSpan.FromSeconds(60));
                }
            }, TaskCreationOptions.LongRunning);
            held.Wait(TestContext.Current.CancellationToken);
            try
            {
                var lookup = Task.Run(() => (agent.EndpointById(web.EndpointId), agent.EndpointByIdentity(web.Identity), agent.LabelsOf(web.Identity)),
                    TestContext.Current.CancellationToken);
                var first = await Task.WhenAny(lookup, Task.Delay(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
                Assert.True(first == lookup, "the lookups waited for the change's lock");
                var (byId, byIdentity, labels) = await lookup;
                Assert.Equal(web.Name, byId?.Name);
                Assert.Equal(web.Name, byIdentity?.Name);
                Assert.Contains("k8s:app=web", labels);
                Assert.Empty(agent.LabelsOf(uint.MaxValue));
            }
            finally
            {
                release.Set();
                await holder;
            }

            // A change publishes what it left: the endpoint gone, so are its lookups.
            Assert.True(agent.DeleteEndpoint(web.Name));
            Assert.Null(agent.EndpointById(web.EndpointId));
            Assert.Null(agent.EndpointByIdentity(web.Identity));
        });
    }

    /// <summary>
    /// A prefix a policy names is a CIDR identity, and the agent maps it in the ipcache: web's egress allowed only to
    /// the node's gateway address (a /32 in the node namespace, the test's own) reaches it, and nothing else.
    /// Without the ipcache entry the gateway would be world, and the ping denied.
    /// </summary>
    [Fact]
    public void A_toCIDR_rule_allows_the_prefix_it_names_through_the_ipcache()
    {
        Root.Require();
        var s = RandomNumberGenerator.GetInt32(0, 256);
        var nodeName = Unique();
        using var node = NetworkNamespace.Create(nodeName);
        try
        {
            using var agent = NodeAgent.Start(Options(node, nodeName, $"10.235.{s}.0/24", $"fd00:235:{s:x}::/64"));
            var web = agent.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=web"));
            var db = agent.CreateEndpoint(Unique(), LabelSet.Parse("k8s:app=db"));
            var gateway = $"10.235.{s}.1";
            Assert.True(Command.PingEventually(web.Name, gateway), "no policy: web may ping the gateway");

            Assert.True(agent.Import([new PolicyText("web.yaml", $$$"""
                apiVersion: cilium.io/v2
                kind: CiliumNetworkPolicy
                metadata: {name: web-out, namespace: default}
                spec:
                  endpointSelector: {matchLabels: {app: web}}
                  egress:
                  - toCIDR: [{{{gateway}}}/32]
                """)]).Applied);
            Assert.True(Command.PingEventually(web.Name, gateway), "the rule names the gateway's /32");
            Assert.False(Command.Ping(web.Name, db.Network.IPv4.ToString()), "db is not in the rule");
            foreach (var record in agent.Endpoints)
            {
                agent.DeleteEndpoint(record.Name);
            }
        }
        finally
        {
            NetworkNamespace.Delete(nodeName);
        }
    }

    /// <summary>
    /// A creation or a deletion rewrites only the endpoints whose peers changed. After endpoints come and go under
    /// policies that name some of them, every endpoint's live policy buffer must still be exactly its map state under
    /// the policies and identities now (compared entry by entry, without cookies, which number rules).
    /// </summary>
    [Fact]
    public void After_endpoints_come_and_go_every_live_map_is_its_whole_state()
    {
        Root.Require();
        var nodeName = Unique();
        using var node = NetworkNamespace.Create(nodeName);
        try
        {
            using var agent = NodeAgent.Start(Options(node, nodeName));
            Assert.True(agent.Import([new PolicyText("tiers.yaml", """
                apiVersion: cilium.io/v2
                kind: CiliumNetworkPolicy
                metadata: {name: back, namespace: default}
                spec:
                  endpointSelector: {matchLabels: {tier: back}}
                  ingress:
                  - fromEndpoints: [{matchLabels: {tier: front}}]
                    icmps: [{fields: [{type: EchoRequest, family: IPv4}]}]
                  - fromEndpoints: [{matchExpressions: [{key: app, operator: In, values: [a, b]}]}]
                    toPorts: [{ports: [{port: "80", protocol: TCP}]}]
                  egress:
                  - toEndpoints: [{matchLabels: {tier: back}}]
                ---
                apiVersion: cilium.io/v2
                kind: CiliumNetworkPolicy
                metadata: {name: front, namespace: default}
                spec:
                  endpointSelector: {matchLabels: {tier: front}}
                  ingressDeny:
                  - fromEndpoints: [{matchLabels: {app: c}}]
                """)]).Applied);
            var names = new List<string>();
            foreach (var labels in new[] { "k8s:tier=back,k8s:app=a", "k8s:tier=front,k8s:app=b", "k8s:tier=front,k8s:app=c", "k8s:tier=back,k8s:app=c", "k8s:app=d", "k8s:tier=front,k8s:app=a" })
            {
                names.Add(agent.CreateEndpoint(Unique(), LabelSet.Parse(labels)).Name);
            }

            Assert.True(agent.DeleteEndpoint(names[1]));
            Assert.True(agent.DeleteEndpoint(names[4]));
            agent.CreateEndpoint(Unique(), LabelSet.Parse("k8s:tier=front,k8s:app=b"));

            foreach (var record in agent.Endpoints)
            {
                var expected = Membrane.Datapath.Encoding.PolicyMapEncoder.Encode(agent.Policies.Resolve(agent.Policies.Identities[record.Identity]!), 0, new())
                    .Select(e => Membrane.Datapath.Encoding.PolicyMapDecoder.Decode(e.Key, e.Value) with { Cookie = 0 })
                    .OrderBy(r => r.ToString(), StringComparer.Ordinal).ToList();
                var live = agent.LivePolicy(record.Name)!.Select(r => r.Row with { Cookie = 0 }).OrderBy(r => r.ToString(), StringComparer.Ordinal).ToList();
                Assert.NotEmpty(live);
                Assert.Equal(expected, live);
            }

            foreach (var record in agent.Endpoints)
            {
                agent.DeleteEndpoint(record.Name);
            }
        }
        finally
        {
            NetworkNamespace.Delete(nodeName);
        }
    }

    /// <summary>An agent with small maps (a test needs a handful of entries), on the given pools.</summary>
    internal static NodeAgentOptions Options(NetworkNamespace node, string nodeName, string ipv4Pool = "10.200.0.0/24", string ipv6Pool = "fd00:200::/64") =>
        new(node, nodeName)
        {
            IPv4Pool = IPNetwork.Parse(ipv4Pool),
            IPv6Pool = IPNetwork.Parse(ipv6Pool),
            Datapath = new DatapathLoaderOptions { Endpoints = 16, PolicyEntries = 1024, IpcacheEntries = 256, ConntrackEntries = 1024, FragmentEntries = 64, EventRingBytes = 1 << 16 },
        };

    /// <summary>Runs <paramref name="test"/> with an agent in a node namespace of its own, removed whatever happens.</summary>
    private static void WithAgent(Action<NodeAgent> test) => WithAgentAsync((agent, _) =>
    {
        test(agent);
        return Task.CompletedTask;
    }).GetAwaiter().GetResult();

    private static Task WithAgentAsync(Func<NodeAgent, Task> test) => WithAgentAsync((agent, _) => test(agent));

    private static async Task WithAgentAsync(Func<NodeAgent, NetworkNamespace, Task> test)
    {
        var nodeName = Unique();
        using var node = NetworkNamespace.Create(nodeName);
        try
        {
            using var agent = NodeAgent.Start(Options(node, nodeName));
            await test(agent, node);
        }
        finally
        {
            NetworkNamespace.Delete(nodeName);
        }
    }

    private static string Unique() => "mbrna" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    [Fact]
    public void Garbage_collection_removes_expired_flows_and_keeps_live_ones()
    {
        Root.Require();
        var nodeName = Unique();
        using var node = NetworkNamespace.Create(nodeName);
        try
        {
            using var agent = NodeAgent.Start(Options(node, nodeName));
            var live = new Membrane.Datapath.Layout.ConntrackKey { EndpointId = 1, SourcePort = 1, Protocol = 17, Family = 4 };
            var expired = live with { SourcePort = 2 };
            agent.Datapath.Conntrack.Update(live, new Membrane.Datapath.Layout.ConntrackEntry { ExpiresAt = 2_000, LifetimeSeconds = 60 });
            agent.Datapath.Conntrack.Update(expired, new Membrane.Datapath.Layout.ConntrackEntry { ExpiresAt = 1_000, LifetimeSeconds = 60 });
            agent.Datapath.Fragments.Update(new Membrane.Datapath.Layout.FragmentKey { FragmentId = 9 }, new Membrane.Datapath.Layout.FragmentEntry { ExpiresAt = 500 });

            Assert.Equal(2, agent.CollectGarbage(now: 1_500));
            Assert.True(agent.Datapath.Conntrack.TryLookup(live, out Membrane.Datapath.Layout.ConntrackEntry _));
            Assert.False(agent.Datapath.Conntrack.TryLookup(expired, out Membrane.Datapath.Layout.ConntrackEntry _));
            Assert.Empty(agent.Datapath.Fragments.Keys<Membrane.Datapath.Layout.FragmentKey>());
        }
        finally
        {
            NetworkNamespace.Delete(nodeName);
        }
    }
}
