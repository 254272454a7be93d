using Membrane.Testing;
using System.Text.Json;

namespace Membrane.Cli.Tests.Agent;

/// <summary>
/// Runs Agent/Scenarios/*.yaml, each against a real agent of its own: its endpoints are created, then each step runs
/// in order. A flow must have its expected outcome on real traffic AND the monitor must agree: a dropped flow's
/// event (verdict, direction, protocol, ICMP type, reason, the two endpoints) must arrive, and an allowed flow must
/// bring no drop between the two endpoints (the agent does not enable the datapath's allow events, docs/datapath.md
/// section 7, so a passed flow has no event of its own).
/// </summary>
[Collection(AgentProcessCollection.Name)]
public sealed class AgentScenarioTests
{
    private static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "Agent", "Scenarios");

    public static TheoryData<string, string> Cases() =>
        new(Membrane.Testing.ScenarioFiles.Cases(Directory, file => AgentScenario.Load(file).Select(s => s.Name)));

    [Fact]
    public void Every_scenario_has_flows_of_both_outcomes_and_names_its_endpoints()
    {
        var all = Cases().Select(c => AgentScenario.Load(Path.Combine(Directory, (string)c.Data.Item1)).Single(s => s.Name == (string)c.Data.Item2)).ToList();
        Assert.True(all.Count >= 8, $"only {all.Count} scenarios");
        Assert.Equal(all.Count, all.Select(s => s.Name).Distinct().Count());
        foreach (var scenario in all)
        {
            var flows = scenario.Steps.Where(s => s.Flow is not null).ToList();
            Assert.Contains(flows, f => f.Expect == "allowed");
            Assert.Contains(flows, f => f.Expect == "dropped");
            Assert.All(flows, f => Assert.True(scenario.Endpoints.ContainsKey(f.From) && scenario.Endpoints.ContainsKey(f.To), $"{scenario.Name}: {f}"));
            Assert.All(flows.Where(f => f.Expect == "dropped"), f => Assert.NotNull(f.Event));
            Assert.All(scenario.Steps.Where(s => s.Import is not null), s => Assert.True(scenario.Policies.ContainsKey(s.Import!), $"{scenario.Name}: {s}"));
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Real_traffic_and_the_monitor_follow_the_policy(string file, string name)
    {
        Root.Require();

        var scenario = AgentScenario.Load(Path.Combine(Directory, file)).Single(s => s.Name == name);
        using var agent = new AgentProcess("sc");
        await agent.StartAsync();
        var endpoints = scenario.Endpoints.ToDictionary(e => e.Key, e => agent.CreateEndpoint(agent.EndpointName(e.Key), e.Value));
        using var monitor = await MonitorRecorder.StartAsync(agent);

        var failures = new List<string>();
        foreach (var (step, index) in scenario.Steps.Select((s, i) => (s, i + 1)))
        {
            var what = $"step {index} ({step})";
            if (step.Import is { } policy)
            {
                var (code, stdout, stderr) = agent.Import(policy, scenario.Policies[policy]);
                Assert.True(code == 0, $"{what}: exit {code}\n{stderr}{stdout}");
                if (step.Revision is { } revision)
                {
                    Assert.Contains($"policy revision {revision}", stdout);
                }

                continue;
            }

            if (step.Delete is { } delete)
            {
                agent.CliOk("policy", "delete", delete);
                continue;
            }

            var (from, to) = (endpoints[step.From], endpoints[step.To]);
            var mark = monitor.Mark;
            var (passed, detail) = await RunFlowAsync(step.Flow!, from, to, step.Expect == "allowed");
            if (passed != (step.Expect == "allowed"))
            {
                failures.Add($"{what}: the traffic was {(passed ? "allowed" : "dropped")}, expected {step.Expect}. {detail}\nmonitor:\n{monitor.Describe(mark)}");
                continue;
            }

            if (step.Expect == "allowed")
            {
                await Task.Delay(200, TestContext.Current.CancellationToken);
                var drops = monitor.Since(mark).Where(f => IsDrop(f) && Between(f, from, to)).ToList();
                if (drops.Count > 0)
                {
                    failures.Add($"{what}: allowed, but the monitor showed drops between the two:\n{monitor.Describe(mark)}");
                }

                continue;
            }

            foreach (var expected in new[] { step.Event! }.Concat(step.Events))
            {
                var found = await monitor.WaitForAsync(mark, f => Matches(f, expected, from, to), TimeSpan.FromSeconds(3));
                if (found is null)
                {
                    failures.Add($"{what}: no monitor event {expected} ({from.Name} -> {to.Name}); the monitor showed:\n{monitor.Describe(mark)}");
                }
            }
        }

        Assert.True(failures.Count == 0, $"{scenario.Name}:\n" + string.Join("\n\n", failures));
    }

    /// <summary>Runs a flow: whether it got through, and what the tool said.</summary>
    private static async Task<(bool Passed, string Detail)> RunFlowAsync(string flow, AgentEndpoint from, AgentEndpoint to, bool expectAllowed)
    {
        var words = flow.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var (kind, options) = (words[0], words[1..]);
        if (kind is "ping4" or "ping6")
        {
            var address = to.Address(kind == "ping6");
            // An allowed first echo may wait on ARP or ND; a denied one is tried once (ping -c 1 -W 1).
            var (replied, output) = expectAllowed
                ? await EndpointTraffic.PingEventuallyAsync(from.Name, address, 3, options)
                : await EndpointTraffic.PingAsync(from.Name, address, options);
            return (replied, $"ping {string.Join(' ', options)} {address}: {output.Trim()}");
        }

        var (protocol, port) = (kind.Split('/')[0], int.Parse(kind.Split('/')[1], System.Globalization.CultureInfo.InvariantCulture));
        var target = to.Address(protocol.EndsWith('6'));
        var passed = protocol.StartsWith("tcp", StringComparison.Ordinal)
            ? await EndpointTraffic.TcpConnectsAsync(from.Name, to.Name, target, port, TimeSpan.FromSeconds(expectAllowed ? 3 : 1))
            : await EndpointTraffic.UdpEchoesAsync(from.Name, to.Name, target, port, TimeSpan.FromSeconds(expectAllowed ? 2 : 1));
        return (passed, $"{protocol} to [{target}]:{port}");
    }

    private static bool IsDrop(JsonElement flow) => flow.TryGetProperty("verdict", out var v) && v.GetString() == "DROPPED";

    /// <summary>A flow between the two endpoints, either way round.</summary>
    private static bool Between(JsonElement flow, AgentEndpoint a, AgentEndpoint b)
    {
        if (!flow.TryGetProperty("IP", out var ip))
        {
            return false;
        }

        var (source, destination) = (ip.GetProperty("source").GetString(), ip.GetProperty("destination").GetString());
        string[] ends = [a.IPv4, a.IPv6, b.IPv4, b.IPv6];
        return ends.Contains(source) && ends.Contains(destination);
    }

    internal static bool Matches(JsonElement flow, AgentScenarioEvent expected, AgentEndpoint from, AgentEndpoint to)
    {
        // A later fragment has no L4 header of its own: an expectation without a protocol does not look at l4.
        var l4 = default(JsonElement);
        if (!flow.TryGetProperty("verdict", out var verdict) || verdict.GetString() != expected.Verdict ||
            !flow.TryGetProperty("IP", out var ip) || (expected.Protocol.Length > 0 && !flow.GetProperty("l4").TryGetProperty(expected.Protocol, out l4)))
        {
            return false;
        }

        var ipv6 = ip.GetProperty("ipVersion").GetString() == "IPv6";
        return ip.GetProperty("source").GetString() == from.Address(ipv6) &&
            ip.GetProperty("destination").GetString() == to.Address(ipv6) &&
            flow.GetProperty("traffic_direction").GetString() == expected.Direction &&
            (PodName(flow, "source") == from.Name || (!expected.PeerNamed && expected.Direction == "INGRESS")) &&
            (PodName(flow, "destination") == to.Name || (!expected.PeerNamed && expected.Direction == "EGRESS")) &&
            (expected.IcmpType is not { } type || l4.GetProperty("type").GetInt32() == type) &&
            (expected.DestinationPort is not { } port || l4.GetProperty("destination_port").GetInt32() == port) &&
            (expected.Reason is not { } reason || (flow.TryGetProperty("drop_reason_desc", out var r) && r.GetString() == reason));
    }

    private static string? PodName(JsonElement flow, string side) =>
        flow.GetProperty(side).TryGetProperty("pod_name", out var name) ? name.GetString() : null;
}
