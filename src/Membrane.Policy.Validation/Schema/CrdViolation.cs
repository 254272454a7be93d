using Membrane.Policy.Source;

namespace Membrane.Policy.Validation.Schema;

/// <summary>One thing the CRD's schema refuses, before it is classified (a Membrane extension or not).</summary>
internal sealed record CrdViolation(CrdViolationKind Kind, string Path, SourcePosition Position, string Detail, string? Value = null, string? Hint = null)
{
    /// <summary>For oneOf and anyOf: the fields the branches require, one of which is missing or extra.</summary>
    public IReadOnlyList<string> Members { get; init; } = [];
}
