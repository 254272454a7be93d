namespace Membrane.Policy.Diagnostics;

using Membrane.Policy.Source;

/// <summary>
/// One finding about a policy: where (file, line, column, field path), what kind, the bad value,
/// a detail, and a hint when one helps. Errors, warnings and notes share this type.
/// </summary>
public sealed record FieldError
{
    public required Severity Severity { get; init; }

    public required FieldErrorKind Kind { get; init; }

    /// <summary>The field path, like <c>spec.egress[0].icmps[0].fields[1].type</c>.</summary>
    public required string Path { get; init; }

    public required string Detail { get; init; }

    /// <summary>The finding's stable code, like <c>MBR2104</c>; docs/policy-language.md §5.8 lists them.</summary>
    public string Code { get; init; } = "";

    public SourcePosition Position { get; init; } = SourcePosition.None;

    /// <summary>The offending value as written, when there is one.</summary>
    public string? BadValue { get; init; }

    /// <summary>A suggestion: a did-you-mean, or how to write what was probably meant.</summary>
    public string? Hint { get; init; }

    /// <summary>
    /// The message after the path, as a compiler would print it:
    /// <c>invalid value "x": detail; hint</c>.
    /// </summary>
    public string Message
    {
        get
        {
            var lead = Kind switch
            {
                FieldErrorKind.Invalid or FieldErrorKind.CrdRejects or FieldErrorKind.Extension when BadValue is not null => $"invalid value {Quote(BadValue)}: ",
                FieldErrorKind.NotSupported when BadValue is not null => $"unsupported value {Quote(BadValue)}: ",
                FieldErrorKind.Duplicate when BadValue is not null => $"duplicate value {Quote(BadValue)}: ",
                FieldErrorKind.UnknownField when BadValue is not null => $"unknown field {Quote(BadValue)}: ",
                FieldErrorKind.Required => "required value: ",
                _ => "",
            };
            // Cilium's own messages end in a full stop; do not print ".;" before a hint.
            return Hint is null ? lead + Detail : $"{lead}{Detail.TrimEnd('.')}; {Hint}";
        }
    }

    public override string ToString()
    {
        var where = Position.IsKnown ? Position.ToString() : Position.File;
        var severity = Severity.ToString().ToLowerInvariant();
        var path = Path.Length == 0 ? "" : Path + ": ";
        var code = Code.Length == 0 ? "" : " " + Code;
        return $"{where}: {severity}{code}: {path}{Message}";
    }

    private static string Quote(string value) => "\"" + value.Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"";
}
