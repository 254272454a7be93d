namespace Membrane.Policy.Validation;

/// <summary>What a validation run checks beyond the rules themselves.</summary>
public sealed record ValidationOptions
{
    /// <summary>Add the lint: ICMP-aware warnings about policies that are valid but likely wrong.</summary>
    public bool Lint { get; init; }

    /// <summary>What reading one input may cost, and how many findings one input may report.</summary>
    public Source.SourceLimits Limits { get; init; } = Source.SourceLimits.Default;
}
