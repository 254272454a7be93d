using System.Collections.Immutable;
using Membrane.Policy.Diagnostics;

namespace Membrane.Policy.Reading;

/// <summary>
/// What one file held: its policies, each with the findings that belong to it, and the findings
/// that belong to no policy (a syntax error, a skipped Deployment, an unknown kind).
/// </summary>
public sealed record PolicyReadResult(string File, ImmutableArray<ParsedPolicy> Policies, ImmutableArray<FieldError> FileFindings)
{
    public bool HasErrors => FileFindings.Any(f => f.Severity == Severity.Error) || Policies.Any(p => p.Findings.Any(f => f.Severity == Severity.Error));
}
