namespace Membrane.Policy.Validation.Tests;

public sealed class ExpectedFinding
{
    public string Severity { get; set; } = "";

    public string Kind { get; set; } = "";

    public string Path { get; set; } = "";

    public int Line { get; set; }

    public string Message { get; set; } = "";

    public override string ToString() => $"{Severity} {Kind} {Path} line {Line}: {Message}";
}
