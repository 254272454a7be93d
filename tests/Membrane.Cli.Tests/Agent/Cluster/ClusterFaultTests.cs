using Membrane.Api;

namespace Membrane.Cli.Tests.Agent.Cluster;

/// <summary>
/// What must hold when parts of the cluster fail: etcd stopped (verdicts hold, what needs no new identity proceeds,
/// nothing is lost), a node's agent killed (its entries stay until its lease expires, then go everywhere, and come
/// back with it; a restart within the lease flaps nothing), labels changed on one node (the others follow), and two
/// nodes racing for one new label set.
/// </summary>
[Collection(AgentProcessCollection.Name)]
public sealed class ClusterFaultTests
{
    private const string WebTakesClients = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: web-ingress, namespace: default}
        spec:
          endpointSelector: {matchLabels: {app: web}}
          ingress:
          - fromEndpoints: [{matchLabels: {app: client}}]
            icmps: [{fields: [{family: IPv4, type: EchoRequest}, {family: IPv6, type: EchoRequest}]}]
        """;

    [Fact]
    public async Task With_etcd_stopped_verdicts_hold_known_labels_proceed_new_ones_are_refused_and_etcd_back_brings_the_change()
    {
        using var cluster = await ClusterTestbed.StartAsync(nodes: 2);
        var (a, b) = (cluster.Nodes[0], cluster.Nodes[1]);
        var web = a.CreateEndpoint(a.EndpointName("web"), "app=web");
        var client = b.CreateEndpoint(b.EndpointName("client"), "app=client");
        var import = a.Import("web", WebTakesClients);
        Assert.True(import.Code == 0, import.Stdout + import.Stderr);
        await ClusterTestbed.WaitIpcacheAsync(a, client.IPv4, client.Identity);
        Assert.True((await EndpointTraffic.PingEventuallyAsync(client.Name, web.IPv4, 5)).Replied);

        cluster.Etcd.Kill();
        await ClusterTestbed.WaitAsync(b, s => !s.Connected, "noticing etcd is gone");

        // Verdicts hold: what each node had, it enforces.
        Assert.True((await EndpointTraffic.PingAsync(client.Name, web.IPv4)).Replied, "client -> web with etcd stopped");

        // A's agent killed and started again while etcd is away: it starts from its state directory (its pod CIDRs, and
        // the other nodes' endpoints it enforced), and the verdict does not change.
        a.Kill();
        await a.StartAsync();
        Assert.True((await EndpointTraffic.PingAsync(client.Name, web.IPv4)).Replied, "client -> web after A restarted without etcd");
        Assert.Contains((await new AgentClient(a.Socket).IpcacheAsync(TestContext.Current.CancellationToken)), e => e.Prefix == client.IPv4 + "/32" && e.Identity == client.Identity);

        // Labels the node knows proceed (their identity is known); new labels need the cluster's numbering, and are
        // refused with a clear error, with nothing made.
        var second = b.CreateEndpoint(b.EndpointName("client2"), "app=client");
        Assert.Equal(client.Identity, second.Identity);
        var (code, _, stderr) = b.Cli("endpoint", "create", b.EndpointName("fresh"), "--labels", "app=fresh");
        Assert.NotEqual(0, code);
        Assert.Contains("identity is numbered by the cluster", stderr);
        Assert.Contains("is out of reach", stderr);
        Assert.DoesNotContain(b.EndpointName("fresh"), b.CliOk("endpoint", "list"));

        // etcd back: the endpoint made meanwhile is published, and web's node lets it in.
        await cluster.Etcd.StartAgainAsync();
        await ClusterTestbed.WaitIpcacheAsync(a, second.IPv4, client.Identity, seconds: 30);
        using var monitor = await MonitorRecorder.StartAsync(a);
        var mark = monitor.Mark;
        Assert.True((await EndpointTraffic.PingEventuallyAsync(second.Name, web.IPv4, 5)).Replied, "client2 (made while etcd was stopped) -> web");
        var allowed = await monitor.WaitForAsync(mark, f => Flow(f, "FORWARDED", second.IPv4, web.IPv4), TimeSpan.FromSeconds(5));
        Assert.NotNull(allowed);
        Assert.Contains("app=client", allowed.Value.GetProperty("source").GetRawText());
        await ClusterTestbed.WaitAsync(b, s => s.Connected, "reconnecting");
        b.CreateEndpoint(b.EndpointName("fresh"), "app=fresh");
    }

    [Fact]
    public async Task A_killed_agent_restarted_within_its_lease_flaps_nothing_and_one_gone_longer_is_withdrawn_then_returns()
    {
        using var cluster = await ClusterTestbed.StartAsync(nodes: 2);
        var (a, b) = (cluster.Nodes[0], cluster.Nodes[1]);
        var web = a.CreateEndpoint(a.EndpointName("web"), "app=web");
        await ClusterTestbed.WaitIpcacheAsync(b, web.IPv4, web.Identity);

        // kill -9 and start again at once: B's ipcache must hold web's address throughout (sampled every few ms).
        using var client = new AgentClient(b.Socket);
        using var watching = new CancellationTokenSource();
        var missing = 0;
        var sampler = Task.Run(async () =>
        {
            while (!watching.IsCancellationRequested)
            {
                if (!(await client.IpcacheAsync(TestContext.Current.CancellationToken)).Any(e => e.Prefix == web.IPv4 + "/32" && e.Identity == web.Identity))
                {
                    missing++;
                }

                await Task.Delay(5, TestContext.Current.CancellationToken);
            }
        }, TestContext.Current.CancellationToken);
        a.Kill();
        await a.StartAsync();
        await ClusterTestbed.WaitAsync(a, s => s.Connected && s.AppliedRevision > 0, "rejoining");
        await Task.Delay(TimeSpan.FromSeconds(cluster.LeaseSeconds + 1), TestContext.Current.CancellationToken); // past the old lease's TTL: it was taken back, not left to expire
        await watching.CancelAsync();
        await sampler;
        Assert.Equal(0, missing);

        // Killed for longer than its lease: B withdraws its endpoints, then takes them back when it returns.
        a.Kill();
        await ClusterTestbed.WaitIpcacheAsync(b, web.IPv4, identity: null, seconds: cluster.LeaseSeconds + 10);
        await ClusterTestbed.WaitAsync(b, s => s.Nodes.Count == 1, "withdrawing the node");
        await a.StartAsync();
        await ClusterTestbed.WaitIpcacheAsync(b, web.IPv4, web.Identity, seconds: 20);
    }

    [Fact]
    public async Task Labels_changed_on_one_node_change_the_verdict_on_another_and_racing_nodes_share_one_identity()
    {
        using var cluster = await ClusterTestbed.StartAsync(nodes: 2);
        var (a, b) = (cluster.Nodes[0], cluster.Nodes[1]);
        var web = b.CreateEndpoint(b.EndpointName("web"), "app=web");
        var visitor = a.CreateEndpoint(a.EndpointName("visitor"), "app=other");
        var import = b.Import("web", WebTakesClients);
        Assert.True(import.Code == 0, import.Stdout + import.Stderr);
        await ClusterTestbed.WaitIpcacheAsync(b, visitor.IPv4, visitor.Identity);
        using var monitor = await MonitorRecorder.StartAsync(b);
        var mark = monitor.Mark;
        Assert.False((await EndpointTraffic.PingAsync(visitor.Name, web.IPv4)).Replied, "app=other is not a client");
        var drop = await monitor.WaitForAsync(mark, f => Flow(f, "DROPPED", visitor.IPv4, web.IPv4), TimeSpan.FromSeconds(5));
        Assert.NotNull(drop);
        Assert.Contains("app=other", drop.Value.GetProperty("source").GetRawText());

        // Relabelled on A: B's verdict follows, and B's monitor names the visitor by its new labels.
        a.CliOk("endpoint", "label", visitor.Name, "--set", "app=client");
        var relabelled = a.GetEndpoint(visitor.Name);
        Assert.NotEqual(visitor.Identity, relabelled.Identity);
        await ClusterTestbed.WaitIpcacheAsync(b, visitor.IPv4, relabelled.Identity);
        mark = monitor.Mark;
        Assert.True((await EndpointTraffic.PingEventuallyAsync(visitor.Name, web.IPv4, 5)).Replied, "app=client now");
        var allowed = await monitor.WaitForAsync(mark, f => Flow(f, "FORWARDED", visitor.IPv4, web.IPv4), TimeSpan.FromSeconds(5));
        Assert.NotNull(allowed);
        Assert.Contains("app=client", allowed.Value.GetProperty("source").GetRawText());

        // Two nodes creating endpoints of the same new labels at once: one identity.
        var created = await Task.WhenAll(
            Task.Run(() => a.CreateEndpoint(a.EndpointName("race"), "app=race,tier=new"), TestContext.Current.CancellationToken),
            Task.Run(() => b.CreateEndpoint(b.EndpointName("race"), "app=race,tier=new"), TestContext.Current.CancellationToken));
        Assert.Equal(created[0].Identity, created[1].Identity);
        await ClusterTestbed.WaitIpcacheAsync(a, created[1].IPv4, created[0].Identity);
    }

    [Fact]
    public async Task Bad_data_in_etcd_is_counted_and_skipped_and_the_other_keys_still_apply()
    {
        using var cluster = await ClusterTestbed.StartAsync(nodes: 2);
        var (a, b) = (cluster.Nodes[0], cluster.Nodes[1]);
        using var etcd = cluster.ConnectEtcd();
        var garbage = new Dictionary<string, string>
        {
            ["membrane/v1/ipcache/not-an-address"] = "{}",
            ["membrane/v1/ipcache/10.99.0.77"] = "{\"identity\": \"many\"}",
            ["membrane/v1/identities/id/12x"] = "k8s:app=x",
            ["membrane/v1/nodes/intruder"] = "[1, 2",
            ["membrane/v1/policies/CiliumNetworkPolicy/default/broken"] = "kind: CiliumNetworkPolicy\nspec: [unclosed",
            ["membrane/v1/policies/CiliumNetworkPolicy/default/impostor"] =
                "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: other-name, namespace: default}\nspec:\n  endpointSelector: {}\n",
            ["membrane/v1/unknown/key"] = "?",
        };
        foreach (var (key, value) in garbage)
        {
            await etcd.Client.PutAsync(key, value, cancellationToken: TestContext.Current.CancellationToken);
        }

        // Addresses of A's pod CIDR claimed by a node that does not own it: one unused, and web's own (its key
        // overwritten). Neither reaches B's ipcache as the intruder's; A puts web's entry back.
        var web = a.CreateEndpoint(a.EndpointName("web"), "app=web");
        await ClusterTestbed.WaitIpcacheAsync(b, web.IPv4, web.Identity);
        var cidr = System.Net.IPNetwork.Parse((await new AgentClient(a.Socket).ClusterStatusAsync(TestContext.Current.CancellationToken)).Nodes.Single(n => n.Name == a.Node).PodCidrs[0]);
        var bytes = cidr.BaseAddress.GetAddressBytes();
        bytes[3] += 30;
        var unused = new System.Net.IPAddress(bytes).ToString();
        foreach (var address in new[] { unused, web.IPv4 })
        {
            await etcd.Client.PutAsync($"membrane/v1/ipcache/{address}", "{\"identity\":256,\"node\":\"intruder\"}", cancellationToken: TestContext.Current.CancellationToken);
        }

        await ClusterTestbed.WaitIpcacheAsync(b, web.IPv4, web.Identity);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!(await etcd.Client.GetValAsync($"membrane/v1/ipcache/{web.IPv4}", cancellationToken: TestContext.Current.CancellationToken)).Contains(a.Node, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, "A did not put its overwritten entry back");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        // The good keys still apply: a new endpoint and a policy reach the other node.
        await ClusterTestbed.WaitIpcacheAsync(b, web.IPv4, web.Identity);
        var import = b.Import("web", WebTakesClients);
        Assert.True(import.Code == 0, import.Stdout + import.Stderr);
        var client = b.CreateEndpoint(b.EndpointName("client"), "app=client");
        await ClusterTestbed.WaitIpcacheAsync(a, client.IPv4, client.Identity);
        Assert.True((await EndpointTraffic.PingEventuallyAsync(client.Name, web.IPv4, 5)).Replied);

        foreach (var node in cluster.Nodes)
        {
            Assert.True(node.IsRunning, node.Log);
            var metrics = await node.ScrapeAsync(TestContext.Current.CancellationToken);
            var bad = metrics.Split('\n').Single(l => l.StartsWith("membrane_cluster_bad_data_total ", StringComparison.Ordinal));
            Assert.True(double.Parse(bad.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture) >= 6, bad);
            Assert.Contains("etcd key membrane/v1/nodes/intruder skipped", node.Log);
            Assert.DoesNotContain("other-name", node.CliOk("policy", "get"));
        }

        Assert.DoesNotContain(await new AgentClient(b.Socket).IpcacheAsync(TestContext.Current.CancellationToken), e => e.Prefix == unused + "/32");
    }

    [Fact]
    public async Task Identities_of_labels_no_node_uses_any_more_are_released_after_the_grace_and_never_reused()
    {
        using var cluster = await ClusterTestbed.StartAsync(nodes: 0);
        var a = cluster.AddNode("--identity-grace", "1");
        await a.StartAsync();
        using var etcd = cluster.ConnectEtcd();
        var numbers = new List<uint>();
        for (var round = 0; round < 6; round++)
        {
            var endpoint = a.CreateEndpoint(a.EndpointName($"churn{round}"), $"app=churn{round % 3}");
            numbers.Add(endpoint.Identity);
            a.CliOk("endpoint", "delete", endpoint.Name);
        }

        // Every identity goes once unreferenced for the grace period (the collector runs every quarter of it).
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while ((await etcd.ListAsync("membrane/v1/identities/id/", TestContext.Current.CancellationToken)).Kvs.Count > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "identities were not released: " + string.Join(", ",
                (await etcd.ListAsync("membrane/v1/identities/id/", TestContext.Current.CancellationToken)).Kvs.Select(k => k.Key.ToStringUtf8())));
            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.Empty((await etcd.ListAsync("membrane/v1/identities/refs/", TestContext.Current.CancellationToken)).Kvs);
        var later = a.CreateEndpoint(a.EndpointName("later"), "app=churn0");
        Assert.DoesNotContain(later.Identity, numbers);
    }

    /// <summary>
    /// cilium#42977: agents retrying in step against an etcd that has lost its quorum keep it from recovering. Three
    /// agents against a three-member etcd with two members killed: the survivor has no leader and refuses every stream
    /// at once. The calls the agents start are counted on their side (etcd does not count what it refuses before its
    /// handlers): with backoff and jitter they stay few (28 in 15 s when measured; 11,208 without the backoff), and
    /// enforcement goes on.
    /// </summary>
    [Fact]
    public async Task Agents_do_not_storm_an_etcd_without_quorum()
    {
        using var cluster = await ClusterTestbed.StartAsync(nodes: 3, etcdMembers: 3);
        var (a, b) = (cluster.Nodes[0], cluster.Nodes[1]);
        var web = a.CreateEndpoint(a.EndpointName("web"), "app=web");
        var client = b.CreateEndpoint(b.EndpointName("client"), "app=client");
        var import = a.Import("web", WebTakesClients);
        Assert.True(import.Code == 0, import.Stdout + import.Stderr);
        await ClusterTestbed.WaitIpcacheAsync(a, client.IPv4, client.Identity);

        cluster.EtcdMembers[1].Kill();
        cluster.EtcdMembers[2].Kill();
        await Task.Delay(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken); // the agents notice, and back off
        var before = await RequestsAsync(cluster);
        var window = TimeSpan.FromSeconds(15);
        await Task.Delay(window, TestContext.Current.CancellationToken);
        var calls = await RequestsAsync(cluster) - before;
        var perSecond = calls / window.TotalSeconds;
        Assert.True(perSecond <= 3, $"{calls} calls in {window.TotalSeconds} s from three agents against an etcd without a leader");

        // Enforcement goes on meanwhile.
        Assert.True((await EndpointTraffic.PingEventuallyAsync(client.Name, web.IPv4, 3)).Replied);
        Assert.All(cluster.Nodes, n => Assert.True(n.IsRunning, n.Log));
    }

    /// <summary>The calls every agent has started against etcd, as their metrics count them (etcd's own miss those it refuses early).</summary>
    private static async Task<double> RequestsAsync(ClusterTestbed cluster)
    {
        var total = 0.0;
        foreach (var node in cluster.Nodes)
        {
            var line = (await node.ScrapeAsync(TestContext.Current.CancellationToken)).Split('\n').Single(l => l.StartsWith("membrane_cluster_etcd_requests_total ", StringComparison.Ordinal));
            total += double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
        }

        return total;
    }

    /// <summary>
    /// A cluster policy one node cannot take (its policy map is too small) is enforced where it fits; the node that cannot
    /// take it keeps enforcing what it had, says so in its health, and an import made on it says why; deleting the
    /// policy brings the node back.
    /// </summary>
    [Fact]
    public async Task A_node_that_cannot_take_a_cluster_policy_keeps_what_it_had_and_says_so()
    {
        using var cluster = await ClusterTestbed.StartAsync(nodes: 0);
        var a = cluster.AddNode();
        var small = cluster.AddNode("--policy-map-entries", "64");
        await a.StartAsync();
        await small.StartAsync();
        var web = small.CreateEndpoint(small.EndpointName("web"), "app=web");
        var client = a.CreateEndpoint(a.EndpointName("client"), "app=client");
        var import = a.Import("web", WebTakesClients);
        Assert.True(import.Code == 0, import.Stdout + import.Stderr);
        await ClusterTestbed.WaitAsync(small, s => s.EnforcedPolicyRevision == s.PolicyRevision && s.PolicyRevision > 0, "enforcing the first policy");
        Assert.True((await EndpointTraffic.PingEventuallyAsync(client.Name, web.IPv4, 5)).Replied);

        // Forty TCP ports from client: more entries than the small node's map holds (two buffers per endpoint).
        var ports = string.Join("\n", Enumerable.Range(0, 40).Select(i => $"      - {{port: \"{9000 + i}\", protocol: TCP}}"));
        var big = $$$"""
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: web-ports, namespace: default}
            spec:
              endpointSelector: {matchLabels: {app: web}}
              ingress:
              - fromEndpoints: [{matchLabels: {app: client}}]
                toPorts:
                - ports:
            {{{ports}}}
            """;
        var refused = small.Import("big", big);
        Assert.NotEqual(0, refused.Code);
        Assert.Contains("the cluster holds the change", refused.Stderr);
        Assert.Contains("holds at most 64 entries", refused.Stderr);
        await ClusterTestbed.WaitAsync(a, s => s.Nodes.Any(n => n.Name == small.Node && n.Health.StartsWith("degraded", StringComparison.Ordinal)), "seeing the small node degraded");

        // The small node enforces what it had: client still pings web (the first policy), and its maps match its view.
        Assert.True((await EndpointTraffic.PingAsync(client.Name, web.IPv4)).Replied);
        Assert.DoesNotContain("9000", small.CliOk("bpf", "policy", "get", web.Name));

        a.CliOk("policy", "delete", "default/web-ports");
        await ClusterTestbed.WaitAsync(small, s => s.Nodes.Single(n => n.Name == small.Node).Health == "ok" && s.EnforcedPolicyRevision == s.PolicyRevision, "recovering");
    }

    private static bool Flow(System.Text.Json.JsonElement flow, string verdict, string source, string destination) =>
        flow.TryGetProperty("verdict", out var v) && v.GetString() == verdict &&
        flow.TryGetProperty("IP", out var ip) && ip.GetProperty("source").GetString() == source && ip.GetProperty("destination").GetString() == destination;
}
