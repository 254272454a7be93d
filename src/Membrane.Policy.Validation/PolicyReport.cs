using System.Collections.Immutable;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Model;

namespace Membrane.Policy.Validation;

/// <summary>One policy and every finding about it, in the order they appear in the file.</summary>
public sealed record PolicyReport(PolicyDocument Document, ImmutableArray<FieldError> Findings)
{
    public bool IsValid => !Findings.Any(f => f.Severity == Severity.Error);
}
