using System.Diagnostics;
using System.Text.Json;
using Membrane.Api;
using Membrane.Testing;
using Membrane.Netlink.Namespaces;

namespace Membrane.Cli.Tests.Agent;

/// <summary>
/// A real agent process, started in a node namespace of the test's own with nsenter (ARCHITECTURE.md), driven by the
/// CLI through its socket: endpoints created, an ICMP policy imported (and an invalid one refused whole), real pings
/// deciding by it, and everything removed. The agent is an <see cref="AgentProcess"/>: names start with mbrae, the
/// pools are 10.238.X.0/24 and fd00:238:X::/64.
/// </summary>
[Collection(AgentProcessCollection.Name)]
public sealed class AgentEndToEndTests : IDisposable
{
    private const string Policy = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: db, namespace: default}
        spec:
          endpointSelector: {matchLabels: {app: db}}
          ingress:
          - fromEndpoints: [{matchLabels: {app: web}}]
            icmps: [{fields: [{type: EchoRequest, family: IPv4}, {type: EchoRequest, family: IPv6}]}]
        """;

    private readonly AgentProcess _agent = new("ae");

    [Fact]
    public async Task The_CLI_drives_a_real_agent_whose_endpoints_and_ICMP_policy_decide_real_pings()
    {
        Root.Require();

        await _agent.StartAsync();
        var socket = _agent.Socket;

        var (web, db, other) = (_agent.EndpointName("web"), _agent.EndpointName("db"), _agent.EndpointName("other"));
        foreach (var (name, labels) in new[] { (web, "k8s:app=web"), (db, "k8s:app=db"), (other, "k8s:app=other") })
        {
            _agent.CreateEndpoint(name, labels);
        }

        // Bad requests are refused with the field named, and make nothing.
        using (var client = new AgentClient(socket))
        {
            foreach (var (request, field) in new[]
            {
                (new EndpointCreateRequest(_agent.EndpointName("bad1"), null!), "labels"),
                (new EndpointCreateRequest(_agent.EndpointName("bad2"), "k8s:app=x", "Not_A_Namespace"), "namespace"),
                (new EndpointCreateRequest("../etc", "k8s:app=x"), "DNS label"),
                (new EndpointCreateRequest(_agent.EndpointName("bad3"), "k8s:app=" + new string('x', 64)), "at most 63"),
                (new EndpointCreateRequest(_agent.EndpointName("bad4"), string.Join(",", Enumerable.Range(0, 65).Select(i => $"k{i}=v"))), "has at most 64"),
                (new EndpointCreateRequest(_agent.EndpointName("bad5"), new string('a', 1 << 20)), "has at most 64 labels"),
                (new EndpointCreateRequest(web, "k8s:app=x"), "exists already"),
            })
            {
                var badRequest = await Assert.ThrowsAsync<AgentApiException>(() => client.CreateEndpointAsync(request, TestContext.Current.CancellationToken));
                Assert.Equal(field == "exists already" ? 409 : 400, badRequest.Status); // a conflict with what the agent has
                Assert.Contains(field, badRequest.Message);
            }

            Assert.Equal(3, (await client.ListEndpointsAsync(TestContext.Current.CancellationToken)).Count);
        }

        var get = CliHarness.Run("endpoint", "get", db, "-o", "json", "--socket", socket);
        Assert.Equal(0, get.Code);
        var info = JsonDocument.Parse(get.Stdout).RootElement;
        Assert.Equal(db, info.GetProperty("name").GetString());
        Assert.Equal(db, info.GetProperty("netns").GetString());
        Assert.True(info.GetProperty("identity").GetUInt32() >= 256);
        Assert.Contains("k8s:app=db", info.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        var db4 = info.GetProperty("ipv4").GetString()!;
        var db6 = info.GetProperty("ipv6").GetString()!;

        // An invalid file in the import: nothing is applied.
        var bad = Path.Combine(_agent.Directory, "bad.yaml");
        File.WriteAllText(bad, Policy.Replace("EchoRequest, family: IPv6", "EchoRequest, family: IPv9"));
        var refused = CliHarness.Run("policy", "import", bad, "--socket", socket);
        Assert.Equal(1, refused.Code);
        Assert.Contains("IPv9", refused.Stderr);
        Assert.Contains("MBR", refused.Stderr); // the finding's stable code
        Assert.Contains("bad.yaml:", refused.Stderr); // and its file and line
        Assert.Contains("revision 0", refused.Stdout);

        var good = Path.Combine(_agent.Directory, "db.yaml");
        File.WriteAllText(good, Policy);
        var imported = CliHarness.Run("policy", "import", good, "--socket", socket);
        Assert.True(imported.Code == 0, imported.Stderr);
        Assert.Contains("policy revision 1", imported.Stdout);

        Assert.True(Command.PingEventually(web, db4), "web may ping db over IPv4");
        Assert.True(Command.PingEventually(web, db6), "web may ping db over IPv6");

        // The drop is reported by the monitor, with names, in text and in Hubble's JSON, filtered by ICMP type.
        var text = Task.Run(() => CliHarness.Run("monitor", "--type", "drop", "--icmp-type", "EchoRequest", "--from-label", "app=other", "--count", "1", "--socket", socket));
        var json = Task.Run(() => CliHarness.Run("monitor", "--type", "drop", "--protocol", "icmp", "--to-label", "k8s:app=db", "--count", "1", "-o", "json", "--socket", socket));
        await Task.Delay(1000, TestContext.Current.CancellationToken);
        Assert.False(Command.Ping(other, db4), "other may not ping db");
        await Task.WhenAll(text, json).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        var (textOut, jsonOut) = ((await text).Stdout, (await json).Stdout);
        Assert.Contains("DROPPED ingress  ICMPv4 EchoRequest", textOut);
        Assert.Contains("reason: denied by default", textOut);
        Assert.Contains($"({other} -> {db})", textOut);
        var flow = JsonDocument.Parse(jsonOut.Trim()).RootElement;
        Assert.Equal("DROPPED", flow.GetProperty("verdict").GetString());
        Assert.Equal(8, flow.GetProperty("l4").GetProperty("ICMPv4").GetProperty("type").GetInt32());
        Assert.Equal("INGRESS", flow.GetProperty("traffic_direction").GetString());
        Assert.Equal(db, flow.GetProperty("destination").GetProperty("pod_name").GetString());
        Assert.Equal(other, flow.GetProperty("source").GetProperty("pod_name").GetString());
        Assert.Equal(db4, flow.GetProperty("IP").GetProperty("destination").GetString());
        Assert.False(flow.GetProperty("is_reply").GetBoolean());

        // While a monitor watches, an allowed new flow is reported too: a policy verdict, FORWARDED, with the rule's ICMP type.
        var verdicts = Task.Run(() => CliHarness.Run("monitor", "--type", "policy-verdict", "--to-label", "app=db", "--count", "1", "-o", "json", "--socket", socket));
        await Task.Delay(1000, TestContext.Current.CancellationToken);
        Assert.True(Command.Ping(web, db4), "web may ping db");
        var verdict = JsonDocument.Parse((await verdicts.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken)).Stdout.Trim()).RootElement;
        Assert.Equal("FORWARDED", verdict.GetProperty("verdict").GetString());
        Assert.Equal(8, verdict.GetProperty("l4").GetProperty("ICMPv4").GetProperty("type").GetInt32());
        Assert.Equal(web, verdict.GetProperty("source").GetProperty("pod_name").GetString());

        // The live maps, decoded: db's ingress entry for web's identity names the ICMP types, and the pings are tracked.
        var map = CliHarness.Run("bpf", "policy", "get", db, "--socket", socket);
        Assert.True(map.Code == 0, map.Stderr);
        Assert.Contains("EchoRequest (8)", map.Stdout);
        Assert.Contains("EchoRequest (128)", map.Stdout);
        Assert.Contains("CiliumNetworkPolicy default/db", map.Stdout);
        var ct = JsonDocument.Parse(CliHarness.Run("bpf", "ct", "list", web, "-o", "json", "--socket", socket).Stdout).RootElement;
        Assert.Contains(ct.EnumerateArray(), e => e.GetProperty("protocol").GetString() == "ICMPv4" && e.GetProperty("destination").GetString() == db4 &&
            e.GetProperty("ports").GetString()!.StartsWith("echo id", StringComparison.Ordinal) && e.GetProperty("secondsLeft").GetDouble() > 0);

        // Prometheus metrics on the node's loopback: the kernel's own counters, the policy revision, the endpoints.
        var metrics = await _agent.ScrapeAsync(TestContext.Current.CancellationToken);
        Assert.Contains("membrane_policy_revision 1", metrics);
        Assert.Contains("membrane_endpoints 3", metrics);
        Assert.Matches(@"membrane_datapath_drops_total\{reason=""denied_by_default""\} [1-9]", metrics);
        Assert.Contains("membrane_regeneration_seconds_count", metrics);
        Assert.Matches(@"membrane_conntrack_entries [1-9]", metrics);
        Assert.Matches(@"membrane_conntrack_capacity [1-9][0-9]*", metrics);

        var status = CliHarness.Run("status", "-o", "json", "--socket", socket);
        Assert.Equal(0, status.Code);
        var state = JsonDocument.Parse(status.Stdout).RootElement;
        Assert.Equal(3, state.GetProperty("endpoints").GetInt32());
        Assert.Equal(1, state.GetProperty("policyRevision").GetInt64());
        Assert.True(state.GetProperty("forwarded").GetInt64() > 0);
        Assert.True(state.GetProperty("drops").GetProperty("denied_by_default").GetInt64() > 0);
        Assert.Contains("denied by default", CliHarness.Run("status", "--socket", socket).Stdout);

        // policy trace against the live policies and identities, by labels or by an endpoint's address.
        var allowedTrace = CliHarness.Run("policy", "trace", "--live", "--src", "app=web", "--dst-ip", db4, "--icmp", "EchoRequest/IPv4", "--socket", socket);
        Assert.True(allowedTrace.Code == 0, allowedTrace.Stderr);
        Assert.Contains("Final verdict: ALLOWED", allowedTrace.Stdout);
        Assert.Contains("CiliumNetworkPolicy default/db", allowedTrace.Stdout);
        var deniedTrace = JsonDocument.Parse(CliHarness.Run("policy", "trace", "--live", "--src", "k8s:app=other", "--dst", "app=db",
            "--icmp", "EchoRequest/IPv4", "-o", "json", "--socket", socket).Stdout).RootElement;
        Assert.Equal("denied", deniedTrace.GetProperty("final").GetString());
        Assert.Equal(info.GetProperty("identity").GetUInt32(), deniedTrace.GetProperty("destination").GetProperty("id").GetUInt32());
        var unknown = CliHarness.Run("policy", "trace", "--live", "--src", "app=nobody", "--dst", "app=db", "--icmp", "EchoRequest", "--socket", socket);
        Assert.Equal(2, unknown.Code);
        Assert.Contains("--src: no endpoint on this node has the labels", unknown.Stderr);
        Assert.Equal(2, CliHarness.Run("policy", "trace", "--live", "-f", good, "--src", "app=web", "--dst", "app=db", "--icmp", "0", "--socket", socket).Code);

        // A rule Membrane cannot enforce (L7) is refused, naming its field, unless --allow-l4-only.
        var l7 = Path.Combine(_agent.Directory, "l7.yaml");
        File.WriteAllText(l7, """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: l7, namespace: default}
            spec:
              endpointSelector: {matchLabels: {app: db}}
              ingress:
              - fromEndpoints: [{matchLabels: {app: web}}]
                toPorts: [{ports: [{port: "80", protocol: TCP}], rules: {http: [{method: GET}]}}]
            """);
        var l7Refused = CliHarness.Run("policy", "import", l7, "--socket", socket);
        Assert.Equal(1, l7Refused.Code);
        Assert.Contains("spec.ingress[0].toPorts[0]", l7Refused.Stderr);
        Assert.Contains("L7 rules are not enforced", l7Refused.Stderr);
        Assert.Contains("--allow-l4-only", l7Refused.Stderr);
        Assert.Contains("revision 1", l7Refused.Stdout);
        var l7Applied = CliHarness.Run("policy", "import", l7, "--allow-l4-only", "--socket", socket);
        Assert.True(l7Applied.Code == 0, l7Applied.Stderr);
        Assert.Contains("policy revision 2", l7Applied.Stdout);
        Assert.Contains("L7 rules are not enforced", l7Applied.Stderr); // still said, as a warning

        var deleted = CliHarness.Run("policy", "delete", "--all", "--socket", socket);
        Assert.Equal(0, deleted.Code);
        Assert.True(Command.PingEventually(other, db4), "with the policy deleted, other may ping db");

        foreach (var name in new[] { web, db, other })
        {
            Assert.Equal(0, CliHarness.Run("endpoint", "delete", name, "--socket", socket).Code);
            Assert.False(NetworkNamespace.Exists(name));
        }

        var missing = CliHarness.Run("endpoint", "get", web, "--socket", socket);
        Assert.Equal(2, missing.Code);
        Assert.Contains("no endpoint", missing.Stderr);
    }

    /// <summary>
    /// kill -9, then a new agent on the same paths: pings run every 20 ms from before the kill until after the restore,
    /// and not one allowed echo is lost, nor one denied echo answered. The new agent has the endpoints, identities,
    /// policies and revision of the old one, and goes on managing them.
    /// </summary>
    [Fact]
    public async Task Verdicts_hold_through_a_SIGKILL_of_the_agent_and_its_restart()
    {
        Root.Require();

        await _agent.StartAsync();
        var socket = _agent.Socket;
        var (web, db, other) = (_agent.EndpointName("web"), _agent.EndpointName("db"), _agent.EndpointName("other"));
        foreach (var (name, labels) in new[] { (web, "k8s:app=web"), (db, "k8s:app=db"), (other, "k8s:app=other") })
        {
            _agent.CreateEndpoint(name, labels);
        }

        var policy = Path.Combine(_agent.Directory, "db.yaml");
        File.WriteAllText(policy, Policy);
        Assert.Equal(0, CliHarness.Run("policy", "import", policy, "--socket", socket).Code);
        var before = JsonDocument.Parse(CliHarness.Run("endpoint", "list", "-o", "json", "--socket", socket).Stdout).RootElement.Clone();
        var db4 = before.EnumerateArray().Single(e => e.GetProperty("name").GetString() == db).GetProperty("ipv4").GetString()!;
        Assert.True(Command.PingEventually(web, db4), "web may ping db");
        Assert.False(Command.Ping(other, db4), "other may not ping db");
        Assert.True(Directory.GetFiles($"{_agent.PinRoot}/links").Length == 6, "two pinned links per endpoint");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var allowed = Command.PingCountsAsync(web, db4, 250);
        var denied = Command.PingCountsAsync(other, db4, 250);
        await Task.Delay(700, TestContext.Current.CancellationToken);
        _agent.Kill();
        var killed = clock.Elapsed;
        Assert.False(_agent.IsRunning);
        await Task.Delay(700, TestContext.Current.CancellationToken); // no agent at all for a while
        await _agent.StartAsync(); // the same node, socket, pins, pools and state directory
        var restarted = clock.Elapsed;

        var (sent, received) = await allowed;
        var when = $"(killed at {killed.TotalMilliseconds:F0} ms, up again at {restarted.TotalMilliseconds:F0} ms, pings done at {clock.Elapsed.TotalMilliseconds:F0} ms)\n{_agent.Log}";
        Assert.True(sent >= 150 && received == sent, $"web -> db through the kill and restart: {received} of {sent} answered {when}");
        (sent, received) = await denied;
        Assert.True(sent >= 150 && received == 0, $"other -> db through the kill and restart: {received} of {sent} answered {when}");

        // The same endpoints, identities and addresses, and the same revision; and it goes on managing them.
        var after = JsonDocument.Parse(CliHarness.Run("endpoint", "list", "-o", "json", "--socket", socket).Stdout).RootElement;
        Assert.Equal(before.ToString(), after.ToString());
        var status = JsonDocument.Parse(CliHarness.Run("status", "-o", "json", "--socket", socket).Stdout).RootElement;
        Assert.Equal(1, status.GetProperty("policyRevision").GetInt64());
        Assert.Equal(0, CliHarness.Run("policy", "delete", "db", "--socket", socket).Code);
        Assert.True(Command.PingEventually(other, db4), "with the policy deleted, other may ping db");
        foreach (var name in new[] { web, db, other })
        {
            Assert.Equal(0, CliHarness.Run("endpoint", "delete", name, "--socket", socket).Code);
        }

        Assert.Empty(Directory.GetFiles(Path.Combine(_agent.StateDirectory, "endpoints")));
    }

    /// <summary>
    /// SIGTERM with a monitor attached: the agent ends the stream and exits at once (the web host would otherwise wait
    /// out its 30 s shutdown timeout for the open request), and the monitor says so in one line, exit 2.
    /// </summary>
    [Fact]
    public async Task A_stop_ends_an_attached_monitor_and_the_agent_exits_promptly()
    {
        Root.Require();

        await _agent.StartAsync();
        var monitor = Task.Run(() => _agent.Cli("monitor"), TestContext.Current.CancellationToken);
        await Task.Delay(1000, TestContext.Current.CancellationToken);
        var stopped = System.Diagnostics.Stopwatch.StartNew();
        Assert.True(_agent.Stop(10_000), $"the agent did not stop within 10 s of SIGTERM\n{_agent.Log}");
        Assert.True(stopped.Elapsed < TimeSpan.FromSeconds(10));
        var (code, _, stderr) = await monitor.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal(2, code);
        Assert.Contains("ended the monitor stream", stderr);
        Assert.DoesNotContain("internal error", stderr);
    }

    [Fact]
    public void Without_an_agent_the_CLI_says_where_it_looked()
    {
        var (code, _, stderr) = CliHarness.Run("status", "--socket", "/nonexistent/mbr.sock");
        Assert.Equal(2, code);
        Assert.Contains("cannot reach the agent at /nonexistent/mbr.sock", stderr);
    }

    public void Dispose() => _agent.Dispose();
}

/// <summary>Agent processes run one at a time: each pings with one-second timeouts.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AgentProcessCollection
{
    public const string Name = "Agent process";
}
