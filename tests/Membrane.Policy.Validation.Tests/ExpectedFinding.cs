namespace Membrane.Policy.Validation.Tests;

/// <summary>One finding a scenario expects: compared on severity, code, path and line, never on message text.</summary>
public sealed class ExpectedFinding
{
    public string Severity { get; set; } = "";

    public string Code { get; set; } = "";

    public string Path { get; set; } = "";

    public int Line { get; set; }

    public override string ToString() => $"{Severity} {Code} {Path} line {Line}";
}
