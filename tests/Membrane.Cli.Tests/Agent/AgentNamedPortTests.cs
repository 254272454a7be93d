using System.Text.Json;
using Membrane.Testing;

namespace Membrane.Cli.Tests.Agent;

/// <summary>
/// Named ports, as a pod's container ports: db names <c>http=8080/TCP</c>, and rules that name <c>http</c> enforce port
/// 8080 to db, on ingress (a CiliumNetworkPolicy selecting db: the port is db's own) and on egress (a Kubernetes
/// NetworkPolicy selecting web: the port is the peer's). Real agent, real TCP connections; the ports outlive a restart,
/// and endpoints sharing labels must name the same ports.
/// </summary>
[Collection(AgentProcessCollection.Name)]
public sealed class AgentNamedPortTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);
    private readonly AgentProcess _agent = new("npt");

    [Fact]
    public async Task Rules_naming_a_port_enforce_the_port_the_endpoint_names_on_ingress_and_egress()
    {
        Root.Require();
        await _agent.StartAsync();
        var db = _agent.CreateEndpoint(_agent.EndpointName("db"), "k8s:app=db", "--port", "http=8080/TCP", "--port", "metrics=9090/TCP");
        var web = _agent.CreateEndpoint(_agent.EndpointName("web"), "k8s:app=web");
        var other = _agent.CreateEndpoint(_agent.EndpointName("other"), "k8s:app=other");
        var shown = JsonDocument.Parse(_agent.CliOk("endpoint", "get", db.Name, "-o", "json")).RootElement.GetProperty("ports");
        Assert.Equal("8080/TCP", shown.GetProperty("http").GetString());
        Assert.Contains("ports:     http=8080/TCP,metrics=9090/TCP", _agent.CliOk("endpoint", "get", db.Name));

        // Ingress: db takes its own port named http from web, and nothing else.
        Assert.Equal(0, _agent.Import("ingress", """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: db, namespace: default}
            spec:
              endpointSelector: {matchLabels: {app: db}}
              ingress:
              - fromEndpoints: [{matchLabels: {app: web}}]
                toPorts: [{ports: [{port: http, protocol: TCP}]}]
            """).Code);
        Assert.True(await EndpointTraffic.TcpConnectsAsync(web.Name, db.Name, db.IPv4, 8080, Timeout), "web -> db:8080 (http)");
        Assert.False(await EndpointTraffic.TcpConnectsAsync(web.Name, db.Name, db.IPv4, 9090, Timeout), "web -> db:9090 (metrics is not named by the rule)");
        Assert.False(await EndpointTraffic.TcpConnectsAsync(other.Name, db.Name, db.IPv4, 8080, Timeout), "other -> db:8080");

        // Egress: web may reach the port named http of the pods labelled app=db; the port is found on db.
        _agent.CliOk("policy", "delete", "--all");
        Assert.Equal(0, _agent.Import("egress", """
            apiVersion: networking.k8s.io/v1
            kind: NetworkPolicy
            metadata: {name: web, namespace: default}
            spec:
              podSelector: {matchLabels: {app: web}}
              policyTypes: [Egress]
              egress:
              - to: [{podSelector: {matchLabels: {app: db}}}]
                ports: [{protocol: TCP, port: http}]
            """).Code);
        Assert.True(await EndpointTraffic.TcpConnectsAsync(web.Name, db.Name, db.IPv6, 8080, Timeout), "web -> db:8080 over IPv6");
        Assert.False(await EndpointTraffic.TcpConnectsAsync(web.Name, db.Name, db.IPv4, 9090, Timeout), "web -> db:9090");
        Assert.False(await EndpointTraffic.TcpConnectsAsync(web.Name, other.Name, other.IPv4, 8080, Timeout), "web -> other:8080 (other names no http)");

        // The ports are in the state file: a restart enforces them as before.
        Assert.True(_agent.Stop());
        await _agent.StartAsync();
        Assert.Contains("http=8080/TCP", _agent.CliOk("endpoint", "get", db.Name));
        Assert.True(await EndpointTraffic.TcpConnectsAsync(web.Name, db.Name, db.IPv4, 8080, Timeout), "web -> db:8080 after a restart");
        Assert.False(await EndpointTraffic.TcpConnectsAsync(web.Name, db.Name, db.IPv4, 9090, Timeout), "web -> db:9090 after a restart");
    }

    [Fact]
    public async Task Ports_that_do_not_parse_or_differ_from_those_of_endpoints_with_the_same_labels_are_refused_and_make_nothing()
    {
        Root.Require();
        await _agent.StartAsync();
        _agent.CreateEndpoint(_agent.EndpointName("db"), "k8s:app=db", "--port", "http=8080/TCP");
        foreach (var (port, says, code) in new[]
        {
            ("http=0/TCP", "ports.http: \"0/TCP\": the port of a named port is a decimal number from 1 to 65535", 2),
            ("http=80/tcp", "the protocol of a named port is TCP, UDP or SCTP", 2),
            ("HTTP=80/TCP", "a port name is 1 to 15 lower-case letters", 2),
            ("http", "give NAME=PORT/PROTOCOL", 2),
        })
        {
            var name = _agent.EndpointName("bad");
            var (exit, _, stderr) = _agent.Cli("endpoint", "create", name, "--labels", "k8s:app=x", "--port", port);
            Assert.True(exit == code && stderr.Contains(says, StringComparison.Ordinal), $"--port {port}: exit {exit}: {stderr}");
            Assert.DoesNotContain(name, _agent.CliOk("endpoint", "list"));
        }

        // The same labels, another port for http: the identity they would share cannot say which.
        var twin = _agent.EndpointName("db2");
        var refused = _agent.Cli("endpoint", "create", twin, "--labels", "k8s:app=db", "--port", "http=8081/TCP");
        Assert.True(refused.Code == 2 && refused.Stderr.Contains("must name the same ports", StringComparison.Ordinal), $"exit {refused.Code}: {refused.Stderr}");
        Assert.False(Membrane.Netlink.Namespaces.NetworkNamespace.Exists(twin), "the refused endpoint's namespace");
        _agent.CreateEndpoint(twin, "k8s:app=db", "--port", "http=8080/TCP"); // the same ports: one identity
    }

    public void Dispose() => _agent.Dispose();
}
