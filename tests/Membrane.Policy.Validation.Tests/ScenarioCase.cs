namespace Membrane.Policy.Validation.Tests;

/// <summary>One case of a scenario file: a policy text and the findings expected for it.</summary>
public sealed class ScenarioCase
{
    public string Name { get; set; } = "";

    public string File { get; set; } = "policy.yaml";

    public bool Lint { get; set; }

    /// <summary>Validate with <c>--compat cilium</c>.</summary>
    public bool Compat { get; set; }

    public string Policy { get; set; } = "";

    public List<ExpectedFinding> Expect { get; set; } = [];

    public override string ToString() => Name;
}
