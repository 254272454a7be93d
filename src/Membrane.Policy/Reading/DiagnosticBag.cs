using Membrane.Policy.Diagnostics;
using Membrane.Policy.Source;

namespace Membrane.Policy.Reading;

/// <summary>Collects findings while binding; nothing stops at the first one.</summary>
public sealed class DiagnosticBag
{
    public List<FieldError> Items { get; } = [];

    /// <summary>
    /// Whether a number where a string belongs is an error rather than a warning: true for
    /// Kubernetes' own types, whose decoder refuses it, false in a Cilium spec, where only the
    /// CRD's schema does.
    /// </summary>
    public bool StrictTypes { get; set; }

    public bool HasErrors => Items.Exists(e => e.Severity == Severity.Error);

    public void Error(FieldErrorKind kind, string path, SourcePosition position, string detail, string? badValue = null, string? hint = null, string code = "") =>
        Items.Add(new FieldError { Severity = Severity.Error, Kind = kind, Path = path, Position = position, Detail = detail, BadValue = badValue, Hint = hint, Code = code });

    public void Warning(FieldErrorKind kind, string path, SourcePosition position, string detail, string? badValue = null, string? hint = null, string code = "") =>
        Items.Add(new FieldError { Severity = Severity.Warning, Kind = kind, Path = path, Position = position, Detail = detail, BadValue = badValue, Hint = hint, Code = code });

    public void Note(FieldErrorKind kind, string path, SourcePosition position, string detail, string code = "") =>
        Items.Add(new FieldError { Severity = Severity.Note, Kind = kind, Path = path, Position = position, Detail = detail, Code = code });
}
