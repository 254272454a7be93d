using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Membrane.Policy.Validation.Tests;

/// <summary>Runs the cases of Scenarios/*.yaml through reading, validation and (when asked) lint.</summary>
public sealed class ValidationScenarioTests
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Scenarios"), "*.yaml").Order())
        {
            foreach (var scenario in Load(file))
            {
                data.Add(Path.GetFileName(file), scenario.Name);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Findings_match_the_scenario(string file, string name)
    {
        var scenario = Load(Path.Combine(AppContext.BaseDirectory, "Scenarios", file)).Single(s => s.Name == name);
        var report = PolicyValidationService.ValidateFile(new PolicyText(scenario.File, scenario.Policy), new ValidationOptions { Lint = scenario.Lint, CompatCilium = scenario.Compat });

        var actual = report.AllFindings.Select(f => new ExpectedFinding
        {
            Severity = f.Severity.ToString().ToLowerInvariant(),
            Code = f.Code,
            Path = f.Path,
            Line = f.Position.Line,
        }).Select(f => f.ToString()).ToList();

        Assert.Equal(scenario.Expect.Select(e => e.ToString()), actual);
    }

    internal static List<ScenarioCase> Load(string file) =>
        new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build()
            .Deserialize<List<ScenarioCase>>(File.ReadAllText(file));
}
