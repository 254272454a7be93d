using System.Globalization;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Reading;
using Membrane.Policy.Source;
using Membrane.Policy.Values;

namespace Membrane.Policy.Validation.Schema;

/// <summary>
/// Checks a document's source tree against a CRD schema as the Kubernetes API server does
/// (apiextensions' structural schema validation with strict field validation): types, required
/// fields, unknown fields, enums, patterns, formats, lengths, list sizes and uniqueness, ranges,
/// oneOf and anyOf. Nulls of fields that are not nullable are dropped first, as the API server
/// drops them. Patterns are described in words (<see cref="CrdPatterns"/>), never printed.
/// </summary>
internal sealed class CrdSchemaValidator
{
    private readonly List<CrdViolation> _violations = [];
    // Keys and indexes kept apart: a key may be empty, or look like an index.
    private readonly List<(string? Key, int Index)> _path = [];

    /// <summary>The longest value matched against a pattern: CRD fields hold names and numbers, and a backtracking match stays fast below this.</summary>
    private const int MaxPatternInput = 4096;

    private string _prefix = "";

    // Inside a oneOf or anyOf branch (Holds), how deep: there only the number of violations counts, as
    // they are dropped once the branch is judged, so each is this placeholder, with no path, message or
    // hint built for it. Valid documents of the peer's benchmark had about 40 MB of such paths built.
    private int _probing;

    private static readonly CrdViolation Probed = new(CrdViolationKind.OneOf, "", default, "");

    private CrdSchemaValidator()
    {
    }

    public static List<CrdViolation> Validate(SourceNode document, CrdSchemaNode schema, string pathPrefix)
    {
        var validator = new CrdSchemaValidator();
        validator._prefix = pathPrefix;

        validator.Check(document, schema);
        return validator._violations;
    }

    /// <summary>Validates a node; true when it holds no violation (used for oneOf and anyOf branches).</summary>
    private bool Check(SourceNode node, CrdSchemaNode schema)
    {
        var before = _violations.Count;
        switch (node)
        {
            case SourceMapping mapping:
                if (Expect(schema, SchemaType.Object, node))
                {
                    CheckObject(mapping, schema);
                }

                break;
            case SourceSequence sequence:
                if (Expect(schema, SchemaType.Array, node))
                {
                    CheckArray(sequence, schema);
                }

                break;
            case SourceScalar scalar:
                CheckScalar(scalar, schema);
                break;
        }

        CheckBranches(node, schema);
        return _violations.Count == before;
    }

    private void CheckObject(SourceMapping mapping, CrdSchemaNode schema)
    {
        var entries = mapping.Entries;
        for (var e = 0; e < entries.Count; e++)
        {
            var (key, value) = entries[e];
            if (value is SourceScalar { IsNull: true } && !(Property(schema, key.Text)?.Nullable ?? false))
            {
                continue;
            }

            var property = Property(schema, key.Text);
            _path.Add((key.Text, -1));
            if (property is not null)
            {
                Check(value, property);
            }
            else if (schema.Structural && schema.Properties is not null && !schema.PreserveUnknownFields)
            {
                Add(CrdViolationKind.UnknownField, key.Position, $"unknown field \"{key.Text}\"", hint: _probing > 0 ? null : NameSuggester.DidYouMean(key.Text, schema.Properties.Keys));
            }

            _path.RemoveAt(_path.Count - 1);
        }

        for (var r = 0; r < schema.Required.Count; r++)
        {
            var required = schema.Required[r];
            if (!Present(mapping, required))
            {
                _path.Add((required, -1));
                Add(CrdViolationKind.Required, mapping.Position, "required value");
                _path.RemoveAt(_path.Count - 1);
            }
        }
    }

    private static CrdSchemaNode? Property(CrdSchemaNode schema, string key) =>
        schema.Properties is not null && schema.Properties.TryGetValue(key, out var property) ? property : schema.AdditionalProperties;

    private static bool Present(SourceMapping mapping, string key) => mapping[key] is { } value && value is not SourceScalar { IsNull: true };

    private void CheckArray(SourceSequence sequence, CrdSchemaNode schema)
    {
        if (schema.MinItems is { } min && sequence.Items.Count < min)
        {
            Add(CrdViolationKind.Items, sequence.Position, $"must have at least {min} item{(min == 1 ? "" : "s")}");
        }

        if (schema.MaxItems is { } max && sequence.Items.Count > max)
        {
            Add(CrdViolationKind.Items, sequence.Items[(int)max].Position, $"must have at most {max} items, found {sequence.Items.Count}");
        }

        HashSet<string>? seen = schema.UniqueItems ? new(StringComparer.Ordinal) : null;
        for (var i = 0; i < sequence.Items.Count; i++)
        {
            var item = sequence.Items[i];
            _path.Add((null, i));
            if (seen is not null && item is SourceScalar scalar && !seen.Add(scalar.Text))
            {
                Add(CrdViolationKind.Duplicate, item.Position, "the list is a set: an item appears twice", scalar.Text);
            }

            if (schema.Items is { } items && item is not SourceScalar { IsNull: true })
            {
                Check(item, items);
            }

            _path.RemoveAt(_path.Count - 1);
        }
    }

    private void CheckScalar(SourceScalar scalar, CrdSchemaNode schema)
    {
        var isInteger = scalar.Kind == ScalarKind.Number && IsIntegerText(scalar.Text);
        var matches = schema.IntOrString
            ? scalar.Kind == ScalarKind.String || isInteger
            : schema.Type switch
            {
                SchemaType.String => scalar.Kind == ScalarKind.String,
                SchemaType.Integer => isInteger,
                SchemaType.Number => scalar.Kind == ScalarKind.Number,
                SchemaType.Boolean => scalar.Kind == ScalarKind.Boolean,
                SchemaType.Any => true,
                _ => false,
            };
        if (!matches)
        {
            var expected = schema.IntOrString ? "an integer or a string" : TypeName(schema.Type);
            Add(CrdViolationKind.Type, scalar.Position, $"must be {expected}, found {scalar.ShapeName}", scalar.Text,
                scalar.Kind is ScalarKind.Number or ScalarKind.Boolean && schema.Type == SchemaType.String ? $"quote it: \"{scalar.Text}\"" : null);
            return;
        }

        if (scalar.Kind == ScalarKind.String)
        {
            CheckString(scalar, schema);
        }
        else if (isInteger && (schema.Minimum is not null || schema.Maximum is not null) && decimal.TryParse(scalar.Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            if (number < schema.Minimum || number > schema.Maximum)
            {
                Add(CrdViolationKind.Range, scalar.Position, $"must be from {schema.Minimum} to {schema.Maximum}", scalar.Text);
            }
        }
    }

    private void CheckString(SourceScalar scalar, CrdSchemaNode schema)
    {
        var text = scalar.Text;
        if (schema.Enum is { } values && !IsOneOf(text, values))
        {
            Add(CrdViolationKind.Enum, scalar.Position, $"must be one of {string.Join(", ", values)}", text, _probing > 0 ? null : NameSuggester.DidYouMean(text, values));
            return;
        }

        var length = RuneCount(text);
        if (schema.MaxLength is { } maxLength && length > maxLength)
        {
            Add(CrdViolationKind.Length, scalar.Position, $"must be at most {maxLength} characters, found {length}", text);
        }

        if (schema.MinLength is { } minLength && length < minLength)
        {
            Add(CrdViolationKind.Length, scalar.Position, minLength == 1 ? "must not be empty" : $"must be at least {minLength} characters", text);
        }

        // A value past the field's length limit is refused for that already; past MaxPatternInput
        // it is not matched at all (see CrdSchemaLoader.Compile), and is refused: fail closed.
        if (schema.Pattern is { } pattern && !(schema.MaxLength is { } limit && length > limit))
        {
            if (length > MaxPatternInput)
            {
                Add(CrdViolationKind.Length, scalar.Position, $"must be at most {MaxPatternInput} characters to be checked against the form this field requires, found {length}", text);
            }
            else if (!pattern.Value.IsMatch(text))
            {
                Add(CrdViolationKind.Pattern, scalar.Position, CrdPatterns.Describe(schema.PatternText!), text);
            }
        }

        if (schema.Format == "cidr" && !IsGoCidr(text))
        {
            Add(CrdViolationKind.Format, scalar.Position, "must be a CIDR, an address and a prefix length such as 10.0.0.0/8 or 2001:db8::/32", text);
        }
    }

    /// <summary>oneOf: exactly one branch holds; anyOf: at least one. Cilium's CRDs use them for "one of these fields".</summary>
    private void CheckBranches(SourceNode node, CrdSchemaNode schema)
    {
        if (schema.OneOf is { } oneOf)
        {
            var holding = 0;
            for (var i = 0; i < oneOf.Count; i++)
            {
                holding += Holds(node, oneOf[i]) ? 1 : 0;
            }

            if (holding != 1)
            {
                var names = BranchNames(oneOf);
                Add(CrdViolationKind.OneOf, node.Position, holding == 0
                    ? $"must have exactly one of {names}, found none"
                    : $"must have exactly one of {names}, found {holding}", members: [.. oneOf.SelectMany(b => b.Required)]);
            }
        }

        if (schema.AnyOf is { } anyOf && !AnyHolds(node, anyOf))
        {
            Add(CrdViolationKind.AnyOf, node.Position, anyOf.All(b => b.Required.Count > 0)
                ? $"must have at least one of {BranchNames(anyOf)}"
                : $"must be {string.Join(" or ", anyOf.Select(b => TypeName(b.Type)))}", node is SourceScalar s ? s.Text : null, members: [.. anyOf.SelectMany(b => b.Required)]);
        }
    }

    private bool AnyHolds(SourceNode node, IReadOnlyList<CrdSchemaNode> branches)
    {
        for (var i = 0; i < branches.Count; i++)
        {
            if (Holds(node, branches[i]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a value is one of an enum's, by index: LINQ's Contains allocated an enumerator for each string checked.</summary>
    private static bool IsOneOf(string text, IReadOnlyList<string> values)
    {
        for (var i = 0; i < values.Count; i++)
        {
            if (string.Equals(values[i], text, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Characters as the API server counts them (Unicode code points), without allocating.</summary>
    private static int RuneCount(string text)
    {
        var count = text.Length;
        for (var i = 0; i + 1 < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && char.IsLowSurrogate(text[i + 1]))
            {
                count--;
                i++;
            }
        }

        return count;
    }

    /// <summary>Whether a branch holds, without reporting what it found.</summary>
    private bool Holds(SourceNode node, CrdSchemaNode branch)
    {
        var count = _violations.Count;
        _probing++;
        var holds = Check(node, branch);
        _probing--;
        _violations.RemoveRange(count, _violations.Count - count);
        return holds;
    }

    private static string BranchNames(IReadOnlyList<CrdSchemaNode> branches) =>
        string.Join(", ", branches.Select(b => b.Required.Count == 1 ? b.Required[0] : $"({string.Join(" and ", b.Required)})"));

    private bool Expect(CrdSchemaNode schema, SchemaType type, SourceNode node)
    {
        if (schema.Type == type || schema.Type == SchemaType.Any)
        {
            return true;
        }

        Add(CrdViolationKind.Type, node.Position, $"must be {TypeName(schema.Type)}, found {node.ShapeName}");
        return false;
    }

    private void Add(CrdViolationKind kind, SourcePosition position, string detail, string? value = null, string? hint = null, IReadOnlyList<string>? members = null) =>
        _violations.Add(_probing > 0 ? Probed : new CrdViolation(kind, PathText(), position, detail, value, hint) { Members = members ?? [] });

    private string PathText()
    {
        var path = _prefix;
        foreach (var (key, index) in _path)
        {
            path = key is not null ? FieldPath.Child(path, key) : FieldPath.Index(path, index);
        }

        return path;
    }

    private static string TypeName(SchemaType type) => type switch
    {
        SchemaType.String => "a string",
        SchemaType.Integer => "an integer",
        SchemaType.Number => "a number",
        SchemaType.Boolean => "a boolean",
        SchemaType.Object => "an object",
        SchemaType.Array => "a list",
        _ => "a value",
    };

    private static bool IsIntegerText(string text) =>
        text.Length > 0 && text.AsSpan(text[0] is '-' or '+' ? 1 : 0).IndexOfAnyExceptInRange('0', '9') < 0 && text.Length > (text[0] is '-' or '+' ? 1 : 0)
        || text.StartsWith("0x", StringComparison.Ordinal) || text.StartsWith("0o", StringComparison.Ordinal);

    /// <summary>The API server's "cidr" format is Go's net.ParseCIDR: a strict address, a slash, a decimal length.</summary>
    private static bool IsGoCidr(string text)
    {
        var slash = text.IndexOf('/');
        if (slash < 0 || !IpAddressText.TryParse(text[..slash], out var address, out _))
        {
            return false;
        }

        var length = text.AsSpan(slash + 1);
        return length.Length is > 0 and <= 3 && length.IndexOfAnyExceptInRange('0', '9') < 0
            && int.Parse(length, CultureInfo.InvariantCulture) <= (address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
    }
}
