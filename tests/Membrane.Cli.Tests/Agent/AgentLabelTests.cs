using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Membrane.Testing;

namespace Membrane.Cli.Tests.Agent;

/// <summary>
/// Live label changes (<c>membrane endpoint label</c>): db accepts pings and UDP 5000 from app=web alone. While web's
/// labels change back and forth, and other takes web's labels and gives them up, web opens a new flow to db every 5 ms
/// and all arrive, and a third endpoint's all are denied: each endpoint moves from one whole state to the next. The identity, the ipcache
/// and the state file follow, identities no endpoint has any more are gone, and a restart keeps the labels. Real agent,
/// real pings.
/// </summary>
[Collection(AgentProcessCollection.Name)]
public sealed class AgentLabelTests : IDisposable
{
    private readonly AgentProcess _agent = new("lbl");

    [Fact]
    public async Task Labels_change_under_traffic_and_the_identity_ipcache_and_policy_follow_with_no_packet_judged_by_half_a_change()
    {
        Root.Require();
        await _agent.StartAsync();
        var web = _agent.CreateEndpoint(_agent.EndpointName("web"), "k8s:app=web");
        var db = _agent.CreateEndpoint(_agent.EndpointName("db"), "k8s:app=db");
        var other = _agent.CreateEndpoint(_agent.EndpointName("other"), "k8s:app=other");
        var third = _agent.CreateEndpoint(_agent.EndpointName("third"), "k8s:app=third");
        Assert.Equal(0, _agent.Import("db", DbAcceptsWeb).Code);
        Assert.True((await EndpointTraffic.PingEventuallyAsync(web.Name, db.IPv4, 3)).Replied, "web -> db before");
        Assert.False((await EndpointTraffic.PingAsync(other.Name, db.IPv4)).Replied, "other -> db before");

        // Each datagram from a socket of its own is a new flow, judged by policy (a ping's echoes after the first are
        // one tracked flow, which a policy change does not re-judge).
        using var listener = EndpointTraffic.InNamespace(db.Name, () =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Any, 5000));
            return socket;
        });
        var arrived = new System.Collections.Concurrent.ConcurrentDictionary<string, int>();
        using var stop = new CancellationTokenSource();
        var receiving = ReceiveAsync(listener, arrived, stop.Token);
        var steady = NewFlowsAsync(web.Name, db.IPv4, "web", 300);
        var never = NewFlowsAsync(third.Name, db.IPv4, "third", 300);
        await Task.Delay(300, TestContext.Current.CancellationToken);
        var withTier = Get(_agent.CliOk("endpoint", "label", web.Name, "--set", "tier=front", "-o", "json"));
        Assert.NotEqual(web.Identity, withTier.GetProperty("identity").GetUInt32());
        Assert.Contains("k8s:tier=front", Labels(withTier));
        // The labels web had, whose identity went with its last endpoint: a new one, which web shares again once it
        // drops the tier.
        var taken = Get(_agent.CliOk("endpoint", "label", other.Name, "--set", "k8s:app=web", "-o", "json"));
        var appWeb = taken.GetProperty("identity").GetUInt32();
        Assert.NotEqual(web.Identity, appWeb);
        _agent.CliOk("endpoint", "label", web.Name, "--remove", "tier");
        var sentByWeb = await steady;
        var sentByThird = await never;
        await Task.Delay(500, TestContext.Current.CancellationToken); // the last datagrams' way
        await stop.CancelAsync();
        await receiving;
        Assert.True(arrived.GetValueOrDefault("web") == sentByWeb, $"web -> db across three label changes: {arrived.GetValueOrDefault("web")} of {sentByWeb} new flows arrived");
        Assert.True(arrived.GetValueOrDefault("third") == 0, $"third -> db across the changes: {arrived.GetValueOrDefault("third")} of {sentByThird} new flows arrived");

        // other has app=web now, and web shares its identity; then other gives it up.
        Assert.True((await EndpointTraffic.PingEventuallyAsync(other.Name, db.IPv4, 3)).Replied, "other -> db as app=web");
        Assert.Equal(appWeb, _agent.GetEndpoint(web.Name).Identity);
        var bare = Get(_agent.CliOk("endpoint", "label", other.Name, "--remove", "app", "-o", "json"));
        Assert.Equal(["k8s:io.kubernetes.pod.namespace=default"], Labels(bare));
        Assert.False((await EndpointTraffic.PingAsync(other.Name, db.IPv4)).Replied, "other -> db with no app label");

        // The ipcache gives each address its endpoint's identity now, and holds no identity no endpoint has: those of
        // app=other, of web's first app=web, and of app=web,tier=front are gone.
        var ipcache = JsonDocument.Parse(_agent.CliOk("bpf", "ipcache", "list", "-o", "json")).RootElement.EnumerateArray()
            .ToDictionary(e => e.GetProperty("prefix").GetString()!, e => e.GetProperty("identity").GetUInt32());
        Assert.Equal(bare.GetProperty("identity").GetUInt32(), ipcache[$"{other.IPv4}/32"]);
        Assert.Equal(appWeb, ipcache[$"{web.IPv4}/32"]);
        Assert.Equal(appWeb, ipcache[$"{web.IPv6}/128"]);
        foreach (var gone in new[] { other.Identity, web.Identity, withTier.GetProperty("identity").GetUInt32() })
        {
            Assert.DoesNotContain(gone, ipcache.Values);
        }

        // Kept across a restart.
        Assert.True(_agent.Stop());
        await _agent.StartAsync();
        Assert.Equal(["k8s:io.kubernetes.pod.namespace=default"], Labels(Get(_agent.CliOk("endpoint", "get", other.Name, "-o", "json"))));
        Assert.False((await EndpointTraffic.PingAsync(other.Name, db.IPv4)).Replied, "other -> db after a restart");
        Assert.True((await EndpointTraffic.PingEventuallyAsync(web.Name, db.IPv4, 3)).Replied, "web -> db after a restart");
    }

    /// <summary>
    /// A namespace's labels (<c>membrane namespace label</c>) are carried by every endpoint of it, so a namespace selector
    /// follows them: db takes traffic from namespaces labelled team=a, and prod's endpoints reach it once prod has that
    /// label, an endpoint made in prod later carries it, and a restart keeps it.
    /// </summary>
    [Fact]
    public async Task A_namespace_label_is_carried_by_its_endpoints_and_namespace_selectors_follow_it()
    {
        Root.Require();
        await _agent.StartAsync();
        var db = _agent.CreateEndpoint(_agent.EndpointName("db"), "k8s:app=db");
        var client = _agent.CreateEndpoint(_agent.EndpointName("client"), "k8s:app=client", "--namespace", "prod");
        Assert.Equal(0, _agent.Import("db", """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: db, namespace: default}
            spec:
              podSelector: {matchLabels: {app: db}}
              ingress:
              - from: [{namespaceSelector: {matchLabels: {team: a}}}]
            """).Code);
        Assert.False((await EndpointTraffic.PingAsync(client.Name, db.IPv4)).Replied, "prod has no team label yet");

        var labelled = JsonDocument.Parse(_agent.CliOk("namespace", "label", "prod", "--set", "team=a", "-o", "json")).RootElement;
        Assert.Equal("a", labelled.GetProperty("labels").GetProperty("team").GetString());
        Assert.True((await EndpointTraffic.PingEventuallyAsync(client.Name, db.IPv4, 3)).Replied, "prod is team=a");
        Assert.Contains("k8s:io.cilium.k8s.namespace.labels.team=a", Labels(Get(_agent.CliOk("endpoint", "get", client.Name, "-o", "json"))));
        var later = _agent.CreateEndpoint(_agent.EndpointName("later"), "k8s:app=later", "--namespace", "prod");
        Assert.True((await EndpointTraffic.PingEventuallyAsync(later.Name, db.IPv4, 3)).Replied, "an endpoint made in prod after the label");
        Assert.Contains("team=a", _agent.CliOk("namespace", "list"));

        Assert.True(_agent.Stop());
        await _agent.StartAsync();
        var after = JsonDocument.Parse(_agent.CliOk("namespace", "list", "-o", "json")).RootElement.EnumerateArray().Single(n => n.GetProperty("name").GetString() == "prod");
        Assert.Equal("a", after.GetProperty("labels").GetProperty("team").GetString());
        Assert.Equal(2, after.GetProperty("endpoints").GetArrayLength());

        _agent.CliOk("namespace", "label", "prod", "--remove", "team");
        Assert.False((await EndpointTraffic.PingAsync(client.Name, db.IPv4)).Replied, "prod is no longer team=a");
        Assert.False((await EndpointTraffic.PingAsync(later.Name, db.IPv4)).Replied, "nor is the later endpoint");
        Assert.DoesNotContain("team", string.Join(",", Labels(Get(_agent.CliOk("endpoint", "get", later.Name, "-o", "json")))));

        foreach (var (arguments, says) in new[]
        {
            (new[] { "namespace", "label", "prod", "--set", "kubernetes.io/metadata.name=default" }, "is set by the agent"),
            (new[] { "namespace", "label", "Not_A_Namespace", "--set", "team=a" }, "is not a Kubernetes namespace name"),
            (new[] { "endpoint", "create", _agent.EndpointName("claim"), "--labels", "k8s:app=x,k8s:io.cilium.k8s.namespace.labels.team=a" }, "is the namespace's"),
        })
        {
            var (code, _, stderr) = _agent.Cli(arguments);
            Assert.True(code == 2 && stderr.Contains(says, StringComparison.Ordinal), $"{string.Join(' ', arguments)}: exit {code}: {stderr}");
        }
    }

    [Fact]
    public async Task Label_changes_that_cannot_be_made_are_refused_naming_why_and_change_nothing()
    {
        Root.Require();
        await _agent.StartAsync();
        var web = _agent.CreateEndpoint(_agent.EndpointName("web"), "k8s:app=web", "--port", "http=80/TCP");
        _agent.CreateEndpoint(_agent.EndpointName("api"), "k8s:app=api", "--port", "http=8080/TCP");
        foreach (var (arguments, says) in new[]
        {
            (new[] { "endpoint", "label", _agent.EndpointName("nosuch"), "--set", "a=b" }, "no endpoint"),
            (new[] { "endpoint", "label", web.Name, "--set", "k8s:io.kubernetes.pod.namespace=kube-system" }, "is the namespace's"),
            (new[] { "endpoint", "label", web.Name, "--set", "app=we\u202Eb" }, "\\u202E"),
            (new[] { "endpoint", "label", web.Name, "--remove", "app=web" }, "is not a label key"),
            (new[] { "endpoint", "label", web.Name, "--set", "app=api" }, "must name the same ports"),
            (new[] { "endpoint", "label", web.Name, "--set", "reserved:host" }, "reserved: labels belong to the identities Membrane makes itself"),
            (new[] { "endpoint", "label", web.Name }, "give --set LABELS or --remove KEY"),
        })
        {
            var (code, _, stderr) = _agent.Cli(arguments);
            Assert.True(code == 2 && stderr.Contains(says, StringComparison.Ordinal), $"{string.Join(' ', arguments)}: exit {code}: {stderr}");
        }

        var after = _agent.GetEndpoint(web.Name);
        Assert.Equal(web.Identity, after.Identity);
        Assert.Contains("k8s:app=web", Labels(Get(_agent.CliOk("endpoint", "get", web.Name, "-o", "json"))));
    }

    /// <summary>db takes pings and UDP 5000 from app=web alone.</summary>
    private const string DbAcceptsWeb = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: db, namespace: default}
        spec:
          endpointSelector: {matchLabels: {app: db}}
          ingress:
          - fromEndpoints: [{matchLabels: {app: web}}]
            icmps: [{fields: [{type: EchoRequest, family: IPv4}]}]
          - fromEndpoints: [{matchLabels: {app: web}}]
            toPorts: [{ports: [{port: "5000", protocol: UDP}]}]
        """;

    /// <summary>Sends <paramref name="count"/> datagrams, each from a new socket (a new flow), 5 ms apart; returns how many were sent.</summary>
    private static Task<int> NewFlowsAsync(string from, string address, string tag, int count) => Task.Run(async () =>
    {
        var sent = 0;
        var payload = System.Text.Encoding.ASCII.GetBytes(tag);
        for (var i = 0; i < count; i++)
        {
            using var socket = EndpointTraffic.InNamespace(from, () => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
            await socket.SendToAsync(payload, new IPEndPoint(IPAddress.Parse(address), 5000));
            sent++;
            await Task.Delay(5);
        }

        return sent;
    });

    private static async Task ReceiveAsync(Socket listener, System.Collections.Concurrent.ConcurrentDictionary<string, int> arrived, CancellationToken stop)
    {
        var buffer = new byte[64];
        try
        {
            while (true)
            {
                var length = await listener.ReceiveAsync(buffer, stop);
                arrived.AddOrUpdate(System.Text.Encoding.ASCII.GetString(buffer, 0, length), 1, (_, n) => n + 1);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static JsonElement Get(string json) => JsonDocument.Parse(json).RootElement.Clone();

    private static List<string> Labels(JsonElement endpoint) =>
        [.. endpoint.GetProperty("labels").EnumerateArray().Select(l => l.GetString()!)];

    public void Dispose() => _agent.Dispose();
}
