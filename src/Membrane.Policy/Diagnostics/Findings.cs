using Membrane.Policy.Source;

namespace Membrane.Policy.Diagnostics;

/// <summary>Builds findings for the value resolvers, which report into a plain collection.</summary>
internal static class Findings
{
    public static FieldError Error(FieldErrorKind kind, string path, SourcePosition position, string detail, string? bad = null, string? hint = null, string code = "") =>
        new() { Severity = Severity.Error, Kind = kind, Path = path, Position = position, Detail = detail, BadValue = bad, Hint = hint, Code = code };

    public static FieldError Warning(FieldErrorKind kind, string path, SourcePosition position, string detail, string? bad = null, string? hint = null, string code = "") =>
        new() { Severity = Severity.Warning, Kind = kind, Path = path, Position = position, Detail = detail, BadValue = bad, Hint = hint, Code = code };
}
