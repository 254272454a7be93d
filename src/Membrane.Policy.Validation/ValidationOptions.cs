namespace Membrane.Policy.Validation;

/// <summary>What a validation run checks beyond the rules themselves.</summary>
public sealed record ValidationOptions
{
    /// <summary>Add the lint: ICMP-aware warnings about policies that are valid but likely wrong.</summary>
    public bool Lint { get; init; }

    /// <summary>
    /// <c>--compat cilium</c>: what a Kubernetes API server with Cilium's CRD rejects, and
    /// Membrane's extensions, are errors instead of warnings and silence.
    /// </summary>
    public bool CompatCilium { get; init; }

    /// <summary>
    /// Keep each policy's whole model in the report, for callers that go on to compile it. Without
    /// it a report keeps only what identifies a policy (kind, metadata, place), so validating a
    /// large set holds its findings, not every rule, in memory.
    /// </summary>
    public bool KeepDocuments { get; init; } = true;

    /// <summary>What reading one input may cost, and how many findings one input may report.</summary>
    public Source.SourceLimits Limits { get; init; } = Source.SourceLimits.Default;
}
