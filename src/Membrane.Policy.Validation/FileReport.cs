using System.Collections.Immutable;
using Membrane.Policy.Diagnostics;

namespace Membrane.Policy.Validation;

/// <summary>One file: its policies, and the findings that belong to no single policy.</summary>
public sealed record FileReport(string File, ImmutableArray<PolicyReport> Policies, ImmutableArray<FieldError> FileFindings)
{
    public bool IsValid => !FileFindings.Any(f => f.Severity == Severity.Error) && Policies.All(p => p.IsValid);

    /// <summary>Every finding of the file, ordered by position.</summary>
    public IEnumerable<FieldError> AllFindings => FileFindings.Concat(Policies.SelectMany(p => p.Findings))
        .OrderBy(f => f.Position.Line).ThenBy(f => f.Position.Column);
}
