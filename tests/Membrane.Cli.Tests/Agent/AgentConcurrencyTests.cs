using System.Text.Json;
using Membrane.Netlink.Namespaces;
using Membrane.Testing;

namespace Membrane.Cli.Tests.Agent;

/// <summary>
/// Changes asked for at once, on a real agent: endpoints made in parallel (their networks made at the same time, their
/// identities and policies one change at a time) are each enforced when their call returns; two creates of one name
/// make one endpoint and leave nothing of the other; an endpoint made while its namespace's labels change carries the
/// labels as they ended; and a burst of imports is each answered, counted and held.
/// </summary>
[Collection(AgentProcessCollection.Name)]
public sealed class AgentConcurrencyTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private readonly AgentProcess _agent = new("cc");

    [Fact]
    public async Task Endpoints_made_at_once_are_each_enforced_when_their_call_returns()
    {
        Root.Require();
        await _agent.StartAsync();
        Assert.Equal(0, _agent.Import("db", """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: db, namespace: default}
            spec:
              endpointSelector: {matchLabels: {app: db}}
              ingress: [{fromEndpoints: [{matchLabels: {app: web}}]}]
            """).Code);
        var db = _agent.CreateEndpoint(_agent.EndpointName("db"), "k8s:app=db");

        var names = Enumerable.Range(0, 8).Select(i => _agent.EndpointName($"w{i}")).ToList();
        var made = await Task.WhenAll(names.Select(name => Task.Run(async () =>
        {
            var (code, stdout, stderr) = _agent.Cli("endpoint", "create", name, "--labels", name.EndsWith('0') || name.EndsWith('1') ? "k8s:app=web" : "k8s:app=other", "-o", "json");
            Assert.True(code == 0, $"{name}: exit {code}: {stderr}");

            // Enforced when the call returns: web reaches db at once, and others never do.
            var reached = await EndpointTraffic.TcpConnectsAsync(name, db.Name, db.IPv4, 8000 + names.IndexOf(name), Timeout);
            return (Name: name, Web: name.EndsWith('0') || name.EndsWith('1'), Reached: reached, Json: stdout);
        })));

        Assert.All(made, m => Assert.True(m.Reached == m.Web, $"{m.Name} {(m.Reached ? "reached" : "did not reach")} db"));
        var addresses = made.Select(m => JsonDocument.Parse(m.Json).RootElement.GetProperty("ipv4").GetString()).ToList();
        Assert.Equal(addresses.Count, addresses.Distinct().Count());
        Assert.Equal(9, JsonDocument.Parse(_agent.CliOk("endpoint", "list", "-o", "json")).RootElement.GetArrayLength());
    }

    [Fact]
    public async Task Two_creates_of_one_name_make_one_endpoint_and_leave_nothing_of_the_other()
    {
        Root.Require();
        await _agent.StartAsync();
        for (var round = 0; round < 5; round++)
        {
            var name = _agent.EndpointName($"twin{round}");
            var both = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => Task.Run(() => _agent.Cli("endpoint", "create", name, "--labels", "k8s:app=twin"))));

            Assert.Single(both, r => r.Code == 0);
            var refused = Assert.Single(both, r => r.Code != 0);
            Assert.Equal(2, refused.Code);
            Assert.Matches("exists already|is being created already|network namespace named .* exists already", refused.Stderr);
            Assert.True(NetworkNamespace.Exists(name));
            _agent.CliOk("endpoint", "delete", name);
            Assert.False(NetworkNamespace.Exists(name));
        }
    }

    [Fact]
    public async Task An_agent_killed_while_creates_are_in_flight_restores_the_finished_ones_and_leaves_nothing_of_the_others()
    {
        Root.Require();
        await _agent.StartAsync();
        for (var round = 0; round < 3; round++)
        {
            var names = Enumerable.Range(0, 6).Select(i => _agent.EndpointName($"k{round}{i}")).ToList();
            var creates = names.Select(name => Task.Run(() => _agent.Cli("endpoint", "create", name, "--labels", "k8s:app=killed"))).ToList();
            // Killed once the agent is making networks (round 0), once one create has answered (round 1), or two
            // (round 2): some creates are then part way in the kernel, and some done.
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (DateTime.UtcNow < deadline && (round == 0
                ? !names.Any(NetworkNamespace.Exists)
                : creates.Count(c => c.IsCompletedSuccessfully && c.Result.Code == 0) < round))
            {
                await Task.Delay(1, TestContext.Current.CancellationToken);
            }

            _agent.Kill();
            var results = await Task.WhenAll(creates);
            await _agent.StartAsync();

            var listed = JsonDocument.Parse(_agent.CliOk("endpoint", "list", "-o", "json")).RootElement.EnumerateArray()
                .Select(e => e.GetProperty("name").GetString()!).ToHashSet();
            for (var i = 0; i < names.Count; i++)
            {
                // A create that answered 0 was enforced before the kill, and is restored; any other is either restored
                // whole or gone whole: its namespace and host interface with it.
                if (results[i].Code == 0)
                {
                    Assert.Contains(names[i], listed);
                }

                Assert.Equal(listed.Contains(names[i]), NetworkNamespace.Exists(names[i]));
            }

            TestContext.Current.TestOutputHelper?.WriteLine($"round {round}: exit codes {string.Join(",", results.Select(r => r.Code))}; restored {names.Count(listed.Contains)} of {names.Count}");
            var links = LinkNames();
            foreach (var name in names)
            {
                var host = Membrane.Agent.Endpoints.HostInterfaceName.For(_agent.Node, name);
                Assert.True(listed.Contains(name) == links.Contains(host), $"{name}: listed {listed.Contains(name)}, host interface {host} there {links.Contains(host)}");
            }
        }
    }

    private HashSet<string> LinkNames()
    {
        using var node = NetworkNamespace.Open(_agent.Node);
        using var links = Membrane.Netlink.Rtnetlink.Open(node);
        return [.. links.ListLinks().Select(l => l.Name)];
    }

    [Fact]
    public async Task An_endpoint_made_while_its_namespace_is_relabelled_carries_the_labels_as_they_ended()
    {
        Root.Require();
        await _agent.StartAsync();
        for (var round = 0; round < 4; round++)
        {
            var name = _agent.EndpointName($"ns{round}");
            var create = Task.Run(() => _agent.Cli("endpoint", "create", name, "--labels", "k8s:app=late", "--namespace", "team"));
            var label = Task.Run(() => _agent.Cli("namespace", "label", "team", "--set", $"round=r{round}"));
            Assert.Equal(0, (await create).Code);
            Assert.Equal(0, (await label).Code);

            var labels = JsonDocument.Parse(_agent.CliOk("endpoint", "get", name, "-o", "json")).RootElement.GetProperty("labels")
                .EnumerateArray().Select(l => l.GetString()).ToList();
            Assert.Contains($"k8s:io.cilium.k8s.namespace.labels.round=r{round}", labels);
        }
    }

    [Fact]
    public async Task A_burst_of_imports_is_each_answered_counted_and_held()
    {
        Root.Require();
        await _agent.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            _agent.CreateEndpoint(_agent.EndpointName($"s{i}"), $"k8s:app=s{i}");
        }

        var imports = await Task.WhenAll(Enumerable.Range(0, 12).Select(i => Task.Run(() => _agent.Import($"p{i}", $$$"""
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: p{{{i}}}, namespace: default}
            spec:
              endpointSelector: {matchLabels: {app: s{{{i % 3}}}}}
              ingress: [{toPorts: [{ports: [{port: "{{{8000 + i}}}", protocol: TCP}]}]}]
            """))));

        Assert.All(imports, r => Assert.Equal(0, r.Code));
        var policies = JsonDocument.Parse(_agent.CliOk("policy", "get", "-o", "json")).RootElement.GetProperty("policies");
        Assert.Equal(12, policies.GetArrayLength());
        var metrics = await _agent.ScrapeAsync(TestContext.Current.CancellationToken);
        // How many batches depends on how the twelve CLI processes' calls happen to overlap (RegeneratorTests holds the
        // batching to account, and bench/agent/burst.sh measures it). Here: every change counted, and each batch is one
        // change of the repository, one revision.
        Assert.Equal(12, Metric(metrics, "membrane_policy_changes_total"));
        Assert.Equal(Metric(metrics, "membrane_policy_batches_total"),
            JsonDocument.Parse(_agent.CliOk("policy", "get", "-o", "json")).RootElement.GetProperty("revision").GetInt64());
    }

    private static double Metric(string text, string name) =>
        double.Parse(text.Split('\n').Single(l => l.StartsWith(name + " ", StringComparison.Ordinal)).Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);

    public void Dispose() => _agent.Dispose();
}
