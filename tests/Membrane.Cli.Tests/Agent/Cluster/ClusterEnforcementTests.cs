using Membrane.Api;

namespace Membrane.Cli.Tests.Agent.Cluster;

/// <summary>
/// Three nodes with real agents in cluster mode, etcd on their underlay, real packets between endpoints on different
/// nodes: policies imported on one node are enforced on the others by identity, each verdict checked in traffic and in
/// the monitor.
/// </summary>
[Collection(AgentProcessCollection.Name)]
public sealed class ClusterEnforcementTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Policies = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: web-ingress, namespace: default}
        spec:
          endpointSelector: {matchLabels: {app: web}}
          ingress:
          - fromEndpoints: [{matchLabels: {app: client}}]
            icmps:
            - fields:
              - {family: IPv4, type: EchoRequest, code: 0}
              - {family: IPv6, type: 128}
          - fromEndpoints: [{matchLabels: {app: client}}]
            toPorts: [{ports: [{port: "8080", protocol: TCP}]}]
        ---
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: other-ingress, namespace: default}
        spec:
          endpointSelector: {matchLabels: {app: other}}
          ingress:
          # Type 0 is EchoReply, never "any": web's echo requests do not match it.
          - fromEndpoints: [{matchLabels: {app: web}}]
            icmps: [{fields: [{family: IPv4, type: 0}]}]
          - fromEndpoints: [{matchLabels: {app: client}}]
            icmps: [{fields: [{family: IPv4, type: 8}]}]
        """;

    [Fact]
    public async Task Endpoints_on_three_nodes_are_allowed_and_denied_by_labels_across_nodes()
    {
        using var cluster = await ClusterTestbed.StartAsync(nodes: 3);
        var (a, b, c) = (cluster.Nodes[0], cluster.Nodes[1], cluster.Nodes[2]);
        foreach (var node in cluster.Nodes)
        {
            await ClusterTestbed.WaitAsync(node, s => s.Connected && s.Nodes.Count == 3, "seeing the three nodes");
        }

        var web = a.CreateEndpoint(a.EndpointName("web"), "app=web");
        var client = b.CreateEndpoint(b.EndpointName("client"), "app=client");
        var other = c.CreateEndpoint(c.EndpointName("other"), "app=other");

        // Imported on A, enforced on A (web) and on C (other).
        var (code, stdout, stderr) = a.Import("policies", Policies);
        Assert.True(code == 0, stdout + stderr);
        await ClusterTestbed.WaitIpcacheAsync(b, web.IPv4, web.Identity);
        await ClusterTestbed.WaitIpcacheAsync(b, web.IPv6, web.Identity);
        await ClusterTestbed.WaitIpcacheAsync(a, client.IPv4, client.Identity);
        await ClusterTestbed.WaitIpcacheAsync(a, client.IPv6, client.Identity);
        await ClusterTestbed.WaitIpcacheAsync(a, other.IPv4, other.Identity);
        await ClusterTestbed.WaitIpcacheAsync(c, web.IPv4, web.Identity);
        await ClusterTestbed.WaitIpcacheAsync(c, client.IPv4, client.Identity);
        foreach (var node in cluster.Nodes)
        {
            await ClusterTestbed.WaitAsync(node, s => s.EnforcedPolicyRevision > 0 && s.EnforcedPolicyRevision == s.PolicyRevision, "enforcing the policies");
        }

        using var monitorA = await MonitorRecorder.StartAsync(a);
        using var monitorC = await MonitorRecorder.StartAsync(c);

        // Allowed by labels across nodes: ping over IPv4 and IPv6, and TCP.
        Assert.True((await EndpointTraffic.PingEventuallyAsync(client.Name, web.IPv4, 5)).Replied, "client (B) -> web (A), IPv4");
        Assert.True((await EndpointTraffic.PingEventuallyAsync(client.Name, web.IPv6, 5)).Replied, "client (B) -> web (A), IPv6");
        Assert.True(await EndpointTraffic.TcpConnectsAsync(client.Name, web.Name, web.IPv4, 8080, TimeSpan.FromSeconds(3)), "client (B) -> web (A), TCP 8080");

        // Denied for other labels: other (C) is not client.
        var mark = monitorA.Mark;
        Assert.False((await EndpointTraffic.PingAsync(other.Name, web.IPv4)).Replied, "other (C) -> web (A) must be denied");
        Assert.False(await EndpointTraffic.TcpConnectsAsync(other.Name, web.Name, web.IPv4, 8080, TimeSpan.FromSeconds(1)), "other (C) -> web (A), TCP must be denied");
        var drop = await monitorA.WaitForAsync(mark, f => Drop(f, "INGRESS", other.IPv4, web.IPv4), TimeSpan.FromSeconds(5));
        Assert.NotNull(drop);
        Assert.Contains("app=other", drop.Value.GetProperty("source").GetRawText()); // A knows C's endpoint by its labels

        // A policy imported on A is enforced on C: other takes echo requests from client, and only echo replies from web.
        Assert.True((await EndpointTraffic.PingEventuallyAsync(client.Name, other.IPv4, 5)).Replied, "client (B) -> other (C)");
        mark = monitorC.Mark;
        Assert.False((await EndpointTraffic.PingAsync(web.Name, other.IPv4)).Replied, "web (A) -> other (C): type 0 is EchoReply, not any");
        Assert.NotNull(await monitorC.WaitForAsync(mark, f => Drop(f, "INGRESS", web.IPv4, other.IPv4), TimeSpan.FromSeconds(5)));

        // Every node lists the others, healthy, at the same policy revision.
        var nodes = System.Text.Json.JsonDocument.Parse(b.CliOk("node", "list", "-o", "json")).RootElement;
        Assert.Equal(3, nodes.GetArrayLength());
        Assert.All(nodes.EnumerateArray(), n => Assert.Equal("ok", n.GetProperty("health").GetString()));
        var status = b.CliOk("cluster", "status");
        Assert.Contains("etcd:             connected", status);
    }

    private static bool Drop(System.Text.Json.JsonElement flow, string direction, string source, string destination) =>
        flow.TryGetProperty("verdict", out var v) && v.GetString() == "DROPPED" && flow.GetProperty("traffic_direction").GetString() == direction &&
        flow.TryGetProperty("IP", out var ip) && ip.GetProperty("source").GetString() == source && ip.GetProperty("destination").GetString() == destination;
}
