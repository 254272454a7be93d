using System.Globalization;
using System.Text;
using System.Text.Json;
using Membrane.Bpf.Maps;
using Membrane.Testing;

namespace Membrane.Cli.Tests.Agent;

/// <summary>
/// An import that does not fit in the policy map is refused whole: exit 1 naming the map and its capacity, no
/// revision, every endpoint on its previous state (real traffic and the live trace agree), nothing left in the map
/// (counted in the kernel's map itself, not by the agent); a later import that fits goes through, and deleting every
/// policy frees every entry, so the refused import is refused the same way again rather than for leaked entries.
/// </summary>
[Collection(AgentProcessCollection.Name)]
public sealed class AgentCapacityTests : IDisposable
{
    private const int Capacity = 1000;

    private const string ClientMayPingBack = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: back, namespace: default}
        spec:
          endpointSelector: {matchLabels: {tier: back}}
          ingress:
          - fromEndpoints: [{matchLabels: {app: client}}]
            icmps: [{fields: [{type: EchoRequest, family: IPv4}]}]
        """;

    private readonly AgentProcess _agent = new("cap");

    [Fact]
    public async Task An_import_that_does_not_fit_is_refused_whole_and_one_that_fits_goes_through()
    {
        Root.Require();
        _agent.ExtraArguments.AddRange(["--policy-map-entries", Capacity.ToString(CultureInfo.InvariantCulture)]);
        await _agent.StartAsync();
        var backs = new[] { "a", "b", "c" }.Select(n => _agent.CreateEndpoint(_agent.EndpointName(n), $"k8s:tier=back,k8s:app={n}")).ToList();
        var client = _agent.CreateEndpoint(_agent.EndpointName("client"), "k8s:app=client");
        var other = _agent.CreateEndpoint(_agent.EndpointName("other"), "k8s:app=other");
        Assert.Equal(0, _agent.Import("back", ClientMayPingBack).Code);
        foreach (var back in backs)
        {
            Assert.True((await EndpointTraffic.PingEventuallyAsync(client.Name, back.IPv4, 3)).Replied, $"client -> {back.Name} before");
        }

        var before = KernelPolicyEntries();
        Assert.Equal(before, PolicyMap().Entries);
        Assert.Equal(Capacity, PolicyMap().Capacity);

        // 20 prefixes x 10 ports for each of three endpoints: 200 entries a state, 400 in two buffers, 1,200 in all.
        var big = _agent.Import("big", Wide(prefixes: 20, ports: 10));
        Assert.True(big.Code == 1, $"exit {big.Code}: {big.Stderr}");
        Assert.Contains("mbr_policy", big.Stderr);
        Assert.Contains("1,000 entries", big.Stderr);
        Assert.Contains("Nothing was applied", big.Stderr);
        Assert.Contains("policy revision 1,", _agent.CliOk("policy", "get"));
        Assert.Equal(before, KernelPolicyEntries());
        Assert.Equal(before, PolicyMap().Entries);
        foreach (var back in backs)
        {
            Assert.True((await EndpointTraffic.PingAsync(client.Name, back.IPv4)).Replied, $"client -> {back.Name}: its previous state still allows it");
            Assert.False((await EndpointTraffic.PingAsync(other.Name, back.IPv4)).Replied, $"other -> {back.Name}: its previous state still denies it");
            var trace = JsonDocument.Parse(_agent.CliOk("policy", "trace", "--live", "--src", "app=client", "--dst", $"app={back.Name[^1..]}",
                "--icmp", "EchoRequest/IPv4", "-o", "json")).RootElement;
            Assert.Equal("allowed", trace.GetProperty("final").GetString());
        }

        // What fits goes through: 10 x 10 is 100 entries a state, 600 in all beside the ping rule's.
        var fits = _agent.Import("fits", Wide(prefixes: 10, ports: 10));
        Assert.True(fits.Code == 0, fits.Stderr);
        Assert.Contains("policy revision 2", fits.Stdout);
        var withFits = KernelPolicyEntries();
        Assert.Equal(withFits, PolicyMap().Entries);
        Assert.InRange(withFits, before + 600, Capacity);

        // Deleting every policy frees every entry, in both buffers of every endpoint.
        _agent.CliOk("policy", "delete", "--all");
        Assert.Equal(0, KernelPolicyEntries());
        Assert.Equal(0, PolicyMap().Entries);

        // So the big import is refused for itself, as before, not for what a refusal left behind.
        var again = _agent.Import("big", Wide(prefixes: 20, ports: 10));
        Assert.Equal(1, again.Code);
        Assert.Contains("0 are in use", again.Stderr);
        Assert.Equal(0, KernelPolicyEntries());
        Assert.True((await EndpointTraffic.PingEventuallyAsync(other.Name, backs[0].IPv4, 3)).Replied, "with no policy, other may ping");
    }

    /// <summary>A policy that selects every back endpoint and lets each of <paramref name="prefixes"/> /32s reach <paramref name="ports"/> TCP ports.</summary>
    private static string Wide(int prefixes, int ports)
    {
        var text = new StringBuilder("""
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: wide, namespace: default}
            spec:
              endpointSelector: {matchLabels: {tier: back}}
              ingress:
              - fromCIDR:

            """);
        for (var i = 0; i < prefixes; i++)
        {
            text.Append(CultureInfo.InvariantCulture, $"    - 198.18.{i / 250}.{i % 250 + 1}/32\n");
        }

        text.Append("    toPorts:\n    - ports:\n");
        for (var p = 0; p < ports; p++)
        {
            text.Append(CultureInfo.InvariantCulture, $"      - {{port: \"{8000 + p}\", protocol: TCP}}\n");
        }

        return text.ToString();
    }

    private (long Entries, long Capacity) PolicyMap()
    {
        var map = JsonDocument.Parse(_agent.CliOk("status", "-o", "json")).RootElement.GetProperty("policyMap");
        return (map.GetProperty("entries").GetInt64(), map.GetProperty("capacity").GetInt64());
    }

    /// <summary>How many entries the kernel's policy map holds, counted by walking the pinned map itself.</summary>
    private long KernelPolicyEntries()
    {
        using var map = BpfMap.OpenPinned(Path.Combine(_agent.PinRoot, "datapath", "mbr_policy"));
        return map.Keys<Membrane.Datapath.Layout.PolicyMapKey>().LongCount();
    }

    public void Dispose() => _agent.Dispose();
}
