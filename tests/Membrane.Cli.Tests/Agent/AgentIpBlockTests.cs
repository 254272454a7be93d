using Membrane.Testing;

namespace Membrane.Cli.Tests.Agent;

/// <summary>
/// Kubernetes NetworkPolicy's <c>ipBlock</c> over pod addresses, on a real agent with real TCP connections: a block
/// selects the endpoints whose addresses it holds, and follows endpoints as they come and go. An identity shared by
/// an endpoint inside the block and one outside is not selected (policy is decided by identity, so it fails closed);
/// deleting the one outside makes the rule apply again. A CiliumNetworkPolicy's <c>toCIDR</c> never selects endpoints.
/// </summary>
[Collection(AgentProcessCollection.Name)]
public sealed class AgentIpBlockTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private readonly AgentProcess _agent = new("ipb");

    [Fact]
    public async Task An_ipBlock_selects_the_endpoints_it_holds_and_follows_them_as_they_come_and_go()
    {
        Root.Require();
        await _agent.StartAsync();
        var web = _agent.CreateEndpoint(_agent.EndpointName("web"), "k8s:app=web");
        var db = _agent.CreateEndpoint(_agent.EndpointName("db1"), "k8s:app=db");
        var other = _agent.CreateEndpoint(_agent.EndpointName("other"), "k8s:app=other");
        Assert.Equal(0, _agent.Import("np", $$$"""
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: web, namespace: default}
            spec:
              podSelector: {matchLabels: {app: web}}
              policyTypes: [Egress]
              egress:
              - to: [{ipBlock: {cidr: "{{{db.IPv4}}}/32"}}]
            """).Code);
        Assert.True(await EndpointTraffic.TcpConnectsAsync(web.Name, db.Name, db.IPv4, 80, Timeout), "web -> db, inside the block");
        Assert.False(await EndpointTraffic.TcpConnectsAsync(web.Name, other.Name, other.IPv4, 80, Timeout), "web -> other, outside it");

        // A second endpoint with db's labels shares its identity, from an address outside the block: the identity is
        // no longer wholly inside, and the rule no longer selects it.
        var db2 = _agent.CreateEndpoint(_agent.EndpointName("db2"), "k8s:app=db");
        Assert.False(await EndpointTraffic.TcpConnectsAsync(web.Name, db.Name, db.IPv4, 80, Timeout), "web -> db, its identity half outside the block");
        var trace = _agent.CliOk("policy", "trace", "--live", "--src", "app=web", "--dst-ip", db.IPv4, "--dport", "80/TCP");
        Assert.Contains("Final verdict: DENIED", trace);

        _agent.CliOk("endpoint", "delete", db2.Name);
        Assert.True(await EndpointTraffic.TcpConnectsAsync(web.Name, db.Name, db.IPv4, 80, Timeout), "web -> db, once the endpoint outside is gone");
        Assert.Contains("Final verdict: ALLOWED", _agent.CliOk("policy", "trace", "--live", "--src", "app=web", "--dst-ip", db.IPv4, "--dport", "80/TCP"));

        // Cilium's semantics for CiliumNetworkPolicy: a CIDR rule names addresses outside the cluster, never endpoints.
        _agent.CliOk("policy", "delete", "--all");
        Assert.Equal(0, _agent.Import("cnp", $$$"""
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: web, namespace: default}
            spec:
              endpointSelector: {matchLabels: {app: web}}
              egress: [{toCIDR: ["{{{db.IPv4}}}/32"]}]
            """).Code);
        Assert.False(await EndpointTraffic.TcpConnectsAsync(web.Name, db.Name, db.IPv4, 80, Timeout), "web -> db under a CiliumNetworkPolicy toCIDR");
    }

    public void Dispose() => _agent.Dispose();
}
