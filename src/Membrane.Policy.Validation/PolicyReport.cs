using System.Collections.Immutable;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Model;

namespace Membrane.Policy.Validation;

/// <summary>One policy and every finding about it, in the order they appear in the file.</summary>
public sealed record PolicyReport(PolicyDocument Document, ImmutableArray<FieldError> Findings)
{
    /// <summary>Errors about this policy left out of <see cref="Findings"/> by the per-input limit; they still make it invalid.</summary>
    public int SuppressedErrors { get; init; }

    public bool IsValid => SuppressedErrors == 0 && !Findings.Any(f => f.Severity == Severity.Error);
}
