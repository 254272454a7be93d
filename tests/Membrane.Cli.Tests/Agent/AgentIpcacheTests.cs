using System.Text.Json;
using Membrane.Testing;

namespace Membrane.Cli.Tests.Agent;

/// <summary>
/// An endpoint's own address always resolves to its endpoint identity in the kernel: a policy CIDR equal to it (a /32
/// or /128) cannot take its ipcache entry over, so its label-based rules keep applying, the live trace agrees with the
/// kernel, and deleting the policies leaves no ipcache entry that no endpoint needs. Real agent, real packets, and the
/// kernel's ipcache read back through <c>membrane bpf ipcache list</c>.
/// </summary>
[Collection(AgentProcessCollection.Name)]
public sealed class AgentIpcacheTests : IDisposable
{
    private readonly AgentProcess _agent = new("ipc");

    [Fact]
    public async Task A_policy_CIDR_equal_to_an_endpoints_address_never_takes_its_identity_and_goes_with_the_policy()
    {
        Root.Require();
        await _agent.StartAsync();
        var a = _agent.CreateEndpoint(_agent.EndpointName("a"), "k8s:app=a");
        var b = _agent.CreateEndpoint(_agent.EndpointName("b"), "k8s:app=b");
        var c = _agent.CreateEndpoint(_agent.EndpointName("c"), "k8s:app=c");
        var baseline = Ipcache();
        Assert.Equal(6, baseline.Count); // the three endpoints' two addresses each, and nothing else

        // b accepts pings from a by its labels; c names a's exact addresses as CIDRs, and b denies pings from them.
        // Were the CIDRs to take a's entries, a's pings would stop matching b's label rule, and b's deny would hit them.
        Assert.Equal(0, _agent.Import("policies", $$$"""
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: b, namespace: default}
            spec:
              endpointSelector: {matchLabels: {app: b}}
              ingress:
              - fromEndpoints: [{matchLabels: {app: a}}]
                icmps: [{fields: [{type: EchoRequest, family: IPv4}, {type: EchoRequest, family: IPv6}]}]
            ---
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: cidrs, namespace: default}
            spec:
              endpointSelector: {matchLabels: {app: c}}
              egress:
              - toCIDR: [{{{a.IPv4}}}/32, {{{a.IPv6}}}/128, 192.0.2.0/24]
            """).Code);

        foreach (var ipv6 in new[] { false, true })
        {
            var prefix = $"{a.Address(ipv6)}/{(ipv6 ? 128 : 32)}";
            var entry = Ipcache().Single(e => e.Prefix == prefix);
            Assert.True(entry.Identity == a.Identity, $"the kernel gives {prefix} identity {entry.Identity}, not a's ({a.Identity})");
            Assert.True((await EndpointTraffic.PingEventuallyAsync(a.Name, b.Address(ipv6), 3)).Replied, $"a pings b by its labels ({(ipv6 ? "IPv6" : "IPv4")})");

            // The agent's own view says the same as the kernel, and the traffic.
            var trace = JsonDocument.Parse(_agent.CliOk("policy", "trace", "--live", "--src-ip", a.Address(ipv6), "--dst", "app=b",
                "--icmp", $"EchoRequest/{(ipv6 ? "IPv6" : "IPv4")}", "-o", "json")).RootElement;
            Assert.Equal("allowed", trace.GetProperty("final").GetString());
            Assert.Equal(a.Identity, trace.GetProperty("source").GetProperty("id").GetUInt32());
        }

        Assert.False((await EndpointTraffic.PingAsync(c.Name, b.IPv4)).Replied, "c may not ping b");

        // The CIDR that is no endpoint's has its own entry, beside the endpoints'.
        Assert.Contains(Ipcache(), e => e.Prefix == "192.0.2.0/24" && e.Identity >= 1 << 24);

        // With every policy deleted, the ipcache is what the endpoints need, exactly as before.
        _agent.CliOk("policy", "delete", "--all");
        Assert.Equal(baseline, Ipcache());

        // A CIDR named again after the endpoint is gone takes the address; the endpoint made again takes it back.
        _agent.CliOk("endpoint", "delete", a.Name);
        Assert.Equal(0, _agent.Import("again", $$$"""
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: cidrs, namespace: default}
            spec:
              endpointSelector: {matchLabels: {app: c}}
              egress:
              - toCIDR: [{{{a.IPv4}}}/32]
            """).Code);
        Assert.Contains(Ipcache(), e => e.Prefix == $"{a.IPv4}/32" && e.Identity >= 1 << 24);
        _agent.CliOk("policy", "delete", "--all");
        Assert.Equal(4, Ipcache().Count);
    }

    /// <summary>The kernel's ipcache, as <c>membrane bpf ipcache list -o json</c> reads it from the map.</summary>
    private List<(string Prefix, uint Identity)> Ipcache() =>
        [.. JsonDocument.Parse(_agent.CliOk("bpf", "ipcache", "list", "-o", "json")).RootElement.EnumerateArray()
            .Select(e => (e.GetProperty("prefix").GetString()!, e.GetProperty("identity").GetUInt32()))
            .OrderBy(e => e.Item1, StringComparer.Ordinal)];

    public void Dispose() => _agent.Dispose();
}
