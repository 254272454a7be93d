using Membrane.Datapath.Twin;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Membrane.Datapath.Tests.Twin;

/// <summary>
/// Runs Scenarios/*.yaml through the twin: every packet must get its expected reason (and peer identity, event fate,
/// conntrack lifetime where the scenario says), and the counters must read as the scenario says at the end.
/// </summary>
public sealed class TwinScenarioTests
{
    private static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "Scenarios");

    public static TheoryData<string, string> Cases() =>
        new(Membrane.Testing.ScenarioFiles.Cases(Directory, file => Load(file).Select(s => s.Name)));

    [Fact]
    public void Scenario_names_are_unique_per_file() =>
        Assert.All(System.IO.Directory.GetFiles(Directory, "*.yaml"), file =>
            Assert.Equal(Load(file).Count, Load(file).Select(s => s.Name).Distinct().Count()));

    [Theory]
    [MemberData(nameof(Cases))]
    public void Packets_get_their_expected_reasons(string file, string name)
    {
        var scenario = Load(Path.Combine(Directory, file)).Single(s => s.Name == name);
        var world = new ScenarioWorld(scenario);
        Assert.NotEmpty(scenario.Packets);
        var failures = new List<string>();
        for (var i = 0; i < scenario.Packets.Count; i++)
        {
            var packet = scenario.Packets[i];
            var frame = world.Frame(packet);
            var expected = ScenarioWorld.ParseReason(packet.Expect);
            for (var round = 0; round < packet.Repeat; round++)
            {
                var now = (ulong)Math.Round(packet.At * 1e9);
                var verdict = world.Twin.Process(frame, packet.Ifindex ?? scenario.Endpoint.Ifindex, ScenarioWorld.ParseDirection(packet.Dir), now);
                var where = $"packet {i + 1} ({packet}){(packet.Repeat > 1 ? $" round {round + 1}" : "")}";
                Check(failures, where, verdict, packet, expected, last: round == packet.Repeat - 1);
            }
        }

        foreach (var counter in scenario.Counters)
        {
            var actual = world.Maps.Counter(ScenarioWorld.ParseReason(counter.Reason), ScenarioWorld.ParseDirection(counter.Dir), Enum.Parse<ProtocolClass>(counter.Class));
            if (actual != counter.Count)
            {
                failures.Add($"counter {counter.Reason}/{counter.Dir}/{counter.Class}: expected {counter.Count}, counted {actual}");
            }
        }

        if (scenario.Suppressed is { } suppressed && world.Maps.Counters[DatapathConstants.CounterEventsSuppressed] != suppressed)
        {
            failures.Add($"suppressed events: expected {suppressed}, counted {world.Maps.Counters[DatapathConstants.CounterEventsSuppressed]}");
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static void Check(List<string> failures, string where, TwinVerdict verdict, ScenarioPacket packet, VerdictReason expected, bool last)
    {
        if (verdict.Reason != expected)
        {
            failures.Add($"{where}: expected {expected.Describe()}, got {verdict.Reason.Describe()}");
        }

        if (packet.Peer is { } peer && verdict.PeerIdentity != peer)
        {
            failures.Add($"{where}: expected peer identity {peer}, got {verdict.PeerIdentity}");
        }

        if (packet.Lifetime is { } lifetime &&
            (verdict.ConntrackWrites.Count == 0 || verdict.ConntrackWrites.Any(w => w.Entry.LifetimeSeconds != lifetime)))
        {
            failures.Add($"{where}: expected conntrack writes with lifetime {lifetime} s, got [{string.Join(", ", verdict.ConntrackWrites.Select(w => w.Entry.LifetimeSeconds))}]");
        }

        if (packet.ConntrackWrites is { } writes && verdict.ConntrackWrites.Count != writes)
        {
            failures.Add($"{where}: expected {writes} conntrack writes, got {verdict.ConntrackWrites.Count}");
        }

        if (last && packet.Event is { } fate)
        {
            var actual = verdict.Event is null ? "none" : verdict.EventSent ? "sent" : "suppressed";
            if (actual != fate)
            {
                failures.Add($"{where}: expected event {fate}, got {actual}");
            }
        }
    }

    private static List<TwinScenario> Load(string file) =>
        new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build()
            .Deserialize<List<TwinScenario>>(File.ReadAllText(file));
}
