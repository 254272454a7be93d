using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Reference;
using Membrane.Policy.Engine.Rules;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Membrane.Policy.Engine.Tests;

/// <summary>
/// Runs Scenarios/*.yaml: every flow must get its expected verdict from the map state, and the
/// reference evaluator must agree.
/// </summary>
public sealed class EngineScenarioTests
{
    private static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "Scenarios");

    public static TheoryData<string, string> Cases() =>
        new(Membrane.Testing.ScenarioFiles.Cases(Directory, file => Load(file).Select(s => s.Name)));

    [Fact]
    public void There_are_at_least_forty_scenarios() => Assert.True(Cases().Count >= 40, $"only {Cases().Count} scenarios");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Flows_get_their_expected_verdicts(string file, string name)
    {
        var scenario = Load(Path.Combine(Directory, file)).Single(s => s.Name == name);
        var world = new ScenarioWorld(scenario);
        var state = new PolicyResolver(world.Rules, world.Identities, world.Endpoint).State;

        Assert.NotEmpty(scenario.Flows);
        var failures = new List<string>();
        foreach (var (line, expectedText) in scenario.Flows)
        {
            var expected = expectedText == "allow" ? Verdict.Allow : Verdict.Deny;
            var flow = world.ParseFlow(line);
            var decision = state.Decide(flow.Direction, flow.Peer.Id, flow.Protocol, flow.L4Value);
            var reference = ReferenceEvaluator.Decide(world.Rules, world.Endpoint, flow);
            if (decision.Verdict != expected || reference != expected)
            {
                failures.Add($"{line}: expected {expected}, map state {decision.Verdict} ({decision.Reason}), reference {reference}");
            }
        }

        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static List<EngineScenario> Load(string file) =>
        new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build()
            .Deserialize<List<EngineScenario>>(File.ReadAllText(file));
}
