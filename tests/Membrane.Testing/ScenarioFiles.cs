namespace Membrane.Testing;

/// <summary>The scenario YAML files beside a test assembly, read the one way every scenario runner reads them.</summary>
public static class ScenarioFiles
{
    /// <summary>
    /// (file name, scenario name) for every scenario of every <c>*.yaml</c> in <paramref name="directory"/>, files in
    /// name order: the cases of a scenario theory, so that each scenario is a test of its own.
    /// </summary>
    public static IEnumerable<(string File, string Scenario)> Cases(string directory, Func<string, IEnumerable<string>> scenarioNames) =>
        Directory.GetFiles(directory, "*.yaml").Order(StringComparer.Ordinal)
            .SelectMany(file => scenarioNames(file).Select(name => (Path.GetFileName(file), name)));
}
