using System.Collections.Immutable;
using Membrane.Policy.Diagnostics;

namespace Membrane.Policy.Validation;

/// <summary>One file: its policies, and the findings that belong to no single policy.</summary>
public sealed record FileReport(string File, ImmutableArray<PolicyReport> Policies, ImmutableArray<FieldError> FileFindings)
{
    /// <summary>Findings left out by the per-input limit (<see cref="Source.SourceLimits.MaxFindings"/>), counted here.</summary>
    public int SuppressedFindings { get; init; }

    /// <summary>Of those, the errors that belong to no policy; they still make the file invalid.</summary>
    public int SuppressedFileErrors { get; init; }

    public bool IsValid => SuppressedFileErrors == 0 && !FileFindings.Any(f => f.Severity == Severity.Error) && Policies.All(p => p.IsValid);

    /// <summary>Every finding of the file, ordered by position.</summary>
    public IEnumerable<FieldError> AllFindings => FileFindings.Concat(Policies.SelectMany(p => p.Findings))
        .OrderBy(f => f.Position.Line).ThenBy(f => f.Position.Column);
}
