using System.Collections.Immutable;
using Membrane.Policy.Diagnostics;

namespace Membrane.Policy.Inputs;

/// <summary>
/// What the collector read: the texts, in the order the paths were given and, within a directory, in ordinal order
/// of their paths; and the notes (skipped entries) and errors (unreadable or oversized inputs) on the way.
/// Each finding's position names the path, with line 0.
/// </summary>
public sealed record InputSet(ImmutableArray<InputText> Texts, ImmutableArray<FieldError> Findings)
{
    /// <summary>True when some input could not be read; callers then refuse the whole set (exit 2).</summary>
    public bool HasErrors => Findings.Any(f => f.Severity == Severity.Error);
}
