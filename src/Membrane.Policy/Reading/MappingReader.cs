using System.Collections.Immutable;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Model;
using Membrane.Policy.Source;
using Membrane.Policy.Values;

namespace Membrane.Policy.Reading;

/// <summary>
/// Reads the fields of one mapping into model values, and reports what it could not place.
/// Every getter registers its key as known, so <see cref="Complete"/> can report the keys nobody
/// asked for as unknown fields, with a did-you-mean among the known ones. Unknown fields are
/// errors: a silently dropped <c>icmp:</c> or <c>feilds:</c> is an allow-all or a deny-all in disguise.
/// </summary>
internal sealed class MappingReader
{
    private readonly SourceMapping _mapping;
    private readonly DiagnosticBag _diagnostics;
    private readonly bool[] _consumed;
    // The keys asked for, for the did-you-mean of an unknown key. Taken from a per-thread pool and given back once the
    // reader's object is bound: one list per mapping was about 70 of the 820 MiB that validating the peer's
    // benchmark file allocated. Null once given back, so a late use fails loudly instead of sharing a list.
    private List<string>? _known = RentKnown();

    [ThreadStatic]
    private static Stack<List<string>>? t_knownPool;
    private readonly PathRef _pathRef;
    private string? _path;

    public MappingReader(SourceMapping mapping, string path, DiagnosticBag diagnostics)
        : this(mapping, PathRef.Of(path), diagnostics)
    {
    }

    private MappingReader(SourceMapping mapping, PathRef path, DiagnosticBag diagnostics)
    {
        _mapping = mapping;
        _pathRef = path;
        _diagnostics = diagnostics;
        _consumed = new bool[mapping.Entries.Count];
    }

    /// <summary>This mapping's field path, built on first use.</summary>
    public string Path => _path ??= _pathRef.ToString();

    public SourcePosition Position => _mapping.Position;

    public DiagnosticBag Diagnostics => _diagnostics;

    public bool Has(string key) => Find(key, report: false) is not null;

    /// <summary>A scalar field; null when absent or written as null.</summary>
    public Scalar? Scalar(string key)
    {
        var node = Take(key, out PathRef path);
        return node is null ? null : ScalarOf(node, path, _diagnostics);
    }

    /// <summary>An object field; null when absent or written as null.</summary>
    public T? Object<T>(string key, Func<MappingReader, T> bind)
        where T : class
    {
        var node = Take(key, out PathRef path);
        return node is null ? null : ObjectOf(node, path, _diagnostics, bind);
    }

    /// <summary>A field whose schema type is string; a boolean or an ambiguous number is reported (<see cref="CheckText"/>).</summary>
    public Scalar? String(string key, bool strict = false)
    {
        var node = Take(key, out PathRef path);
        if (node is null || ScalarOf(node, path, _diagnostics) is not { } scalar)
        {
            return null;
        }

        CheckText(scalar, path, _diagnostics, strict);
        return scalar;
    }

    /// <summary>A field whose schema type is integer: a quoted number or a non-decimal form is reported.</summary>
    public Scalar? Integer(string key)
    {
        var node = Take(key, out PathRef path);
        if (node is null || ScalarOf(node, path, _diagnostics) is not { } scalar)
        {
            return null;
        }

        if (scalar.Kind == ScalarKind.String && PortValues.IsPlainDecimal(scalar.Text))
        {
            _diagnostics.Error(FieldErrorKind.Invalid, path.ToString(), scalar.Position, "must be a number, found a string; the API server refuses a quoted number here",
                scalar.Text, $"write {key}: {scalar.Text} without quotes", code: "MBR1023");
        }
        else if (scalar.Kind == ScalarKind.Number && !PortValues.IsPlainDecimal(scalar.Text.TrimStart('-')))
        {
            _diagnostics.Error(FieldErrorKind.Invalid, path.ToString(), scalar.Position,
                "must be a decimal integer; YAML versions read this form differently (a leading 0 is octal in YAML 1.1, which Kubernetes uses)", scalar.Text, "write it in decimal, without leading zeros", code: "MBR1024");
        }

        return scalar;
    }

    /// <summary>A list of strings (CIDRs, entities, values), each item checked as <see cref="String"/> is.</summary>
    public PolicyList<Scalar> StringList(string key)
    {
        var node = Take(key, out PathRef path);
        if (node is null)
        {
            return default;
        }

        var list = ScalarListOf(node, path, _diagnostics);
        for (var i = 0; i < list.Count; i++)
        {
            CheckText(list[i], path.Item(i), _diagnostics);
        }

        return list;
    }

    public PolicyList<Scalar> ScalarList(string key)
    {
        var node = Take(key, out PathRef path);
        return node is null ? default : ScalarListOf(node, path, _diagnostics);
    }

    /// <summary>A list of objects, each bound by <paramref name="bind"/>. Null or <c>[]</c> is present but empty.</summary>
    public PolicyList<T> ObjectList<T>(string key, Func<MappingReader, T> bind)
        where T : class
    {
        var node = Take(key, out PathRef path);
        return node is null ? default : ObjectListOf(node, path, _diagnostics, bind);
    }

    /// <summary>A string-to-string map such as <c>matchLabels</c>, in the order written.</summary>
    public PolicyList<KeyValue> Map(string key)
    {
        var node = Take(key, out PathRef path);
        if (node is null)
        {
            return default;
        }

        if (node is SourceScalar { IsNull: true })
        {
            return [];
        }

        if (node is not SourceMapping mapping)
        {
            _diagnostics.Error(FieldErrorKind.Invalid, path.ToString(), node.Position, $"must be an object of string values, found {node.ShapeName}", code: "MBR1025");
            return [];
        }

        return KeyValuesOf(mapping, path, _diagnostics, consumed: null);
    }

    /// <summary>A field that takes one value or a list of values; the model always holds a list.</summary>
    public PolicyList<Scalar> ScalarOrList(string key)
    {
        var node = Take(key, out PathRef path);
        return node switch
        {
            null => default,
            SourceScalar { IsNull: true } => [],
            SourceScalar scalar => [ToScalar(scalar)],
            _ => ScalarListOf(node, path, _diagnostics),
        };
    }

    /// <summary>Every entry of a free-form string map (a generic L7 rule), all keys accepted.</summary>
    public PolicyList<KeyValue> TakeAll() => KeyValuesOf(_mapping, _pathRef, _diagnostics, _consumed);

    /// <summary>Accepts keys that are valid but carry nothing policy needs (metadata.uid, status).</summary>
    public void Ignore(params string[] keys)
    {
        foreach (var key in keys)
        {
            Take(key, out _);
        }
    }

    /// <summary>
    /// Reports every key no getter asked for. <paramref name="hintFor"/> may give a better hint than
    /// the spelling suggestion for a given key (a direction mix-up, a misindented label).
    /// </summary>
    public void Complete(Func<string, string?>? hintFor = null)
    {
        for (var i = 0; i < _consumed.Length; i++)
        {
            if (_consumed[i])
            {
                continue;
            }

            var key = _mapping.Entries[i].Key;
            var hint = hintFor?.Invoke(key.Text) ?? NameSuggester.DidYouMean(key.Text, _known!);
            _diagnostics.Error(FieldErrorKind.UnknownField, FieldPath.Child(Path, key.Text), key.Position, "not a field of this object", key.Text, hint, code: "MBR1026");
        }
    }

    public T Finish<T>(T value, Func<string, string?>? hintFor = null)
    {
        Complete(hintFor);
        return value;
    }

    private SourceNode? Take(string key, out PathRef path)
    {
        _known!.Add(key);
        var index = Find(key, report: true);
        path = PathRef.In(this, key);
        return index is { } i ? _mapping.Entries[i].Value : null;
    }

    private int? Find(string key, bool report)
    {
        int? exact = null;
        for (var i = 0; i < _mapping.Entries.Count; i++)
        {
            if (_mapping.Entries[i].Key.Text != key)
            {
                continue;
            }

            // A repeated key was reported by the source reader, with the first one's line.
            exact ??= i;

            if (report)
            {
                _consumed[i] = true;
            }
        }

        if (exact is not null)
        {
            return exact;
        }

        // Cilium decodes with Go's encoding/json, which matches keys regardless of case when no key
        // matches exactly. Accept the same, but say so: the key is not what the schema names.
        for (var i = 0; i < _mapping.Entries.Count; i++)
        {
            var written = _mapping.Entries[i].Key;
            if (_consumed[i] || !string.Equals(written.Text, key, StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }

            if (report)
            {
                _consumed[i] = true;
                _diagnostics.Warning(FieldErrorKind.NonStandard, FieldPath.Child(Path, written.Text), written.Position,
                    $"matches the field \"{key}\" only when case is ignored; Cilium accepts it, Kubernetes schema validation does not",
                    written.Text, $"write \"{key}\"", code: "MBR1027");
            }

            return i;
        }

        return null;
    }

    internal static Scalar? ScalarOf(SourceNode node, PathRef path, DiagnosticBag diagnostics)
    {
        switch (node)
        {
            case SourceScalar { IsNull: true }:
                return null;
            case SourceScalar scalar:
                return ToScalar(scalar);
            default:
                diagnostics.Error(FieldErrorKind.Invalid, path.ToString(), node.Position, $"must be a single value, found {node.ShapeName}", code: "MBR1028");
                return null;
        }
    }

    internal static T? ObjectOf<T>(SourceNode node, PathRef path, DiagnosticBag diagnostics, Func<MappingReader, T> bind)
        where T : class
    {
        switch (node)
        {
            case SourceScalar { IsNull: true }:
                return null;
            case SourceMapping mapping:
                var reader = new MappingReader(mapping, path, diagnostics);
                var value = bind(reader);
                reader.ReturnKnown();
                return value;
            default:
                diagnostics.Error(FieldErrorKind.Invalid, path.ToString(), node.Position, $"must be an object, found {node.ShapeName}", code: "MBR1029");
                return null;
        }
    }

    private static List<string> RentKnown() => t_knownPool is { Count: > 0 } pool ? pool.Pop() : new List<string>(16);

    /// <summary>Gives the known-key list back to the pool; the binder is done with this reader when it returns.</summary>
    private void ReturnKnown()
    {
        if (_known is { } known)
        {
            known.Clear();
            (t_knownPool ??= new Stack<List<string>>()).Push(known);
            _known = null;
        }
    }

    internal static PolicyList<T> ObjectListOf<T>(SourceNode node, PathRef path, DiagnosticBag diagnostics, Func<MappingReader, T> bind)
        where T : class
    {
        if (ItemsOf(node, path, diagnostics) is not { } sequence)
        {
            return new PolicyList<T>([], node.Position);
        }

        var items = ImmutableArray.CreateBuilder<T>(sequence.Items.Count);
        for (var i = 0; i < sequence.Items.Count; i++)
        {
            if (!IsEmptyItem(sequence.Items[i], path.Item(i), diagnostics) && ObjectOf(sequence.Items[i], path.Item(i), diagnostics, bind) is { } item)
            {
                items.Add(item);
            }
        }

        return new PolicyList<T>(items.DrainToImmutable(), node.Position);
    }

    internal static PolicyList<Scalar> ScalarListOf(SourceNode node, PathRef path, DiagnosticBag diagnostics)
    {
        if (ItemsOf(node, path, diagnostics) is not { } sequence)
        {
            return [];
        }

        var items = ImmutableArray.CreateBuilder<Scalar>(sequence.Items.Count);
        for (var i = 0; i < sequence.Items.Count; i++)
        {
            if (!IsEmptyItem(sequence.Items[i], path.Item(i), diagnostics) && ScalarOf(sequence.Items[i], path.Item(i), diagnostics) is { } scalar)
            {
                items.Add(scalar);
            }
        }

        return new PolicyList<Scalar>(items.DrainToImmutable(), node.Position);
    }

    internal static Scalar ToScalar(SourceScalar scalar) => new(scalar.Text, scalar.Kind, scalar.Position);

    /// <summary>
    /// A value where the schema wants a string must be one, or mean one thing to every reader.
    /// A boolean (true, or YAML 1.1's yes, on, off, which Kubernetes' YAML reader keeps) is refused
    /// by the API server and is no text; a number whose digits YAML versions read differently
    /// (<c>010</c>, <c>0x1F</c>, <c>1e3</c>) would be one number to Kubernetes and other text to
    /// Membrane. Both are errors. A plain decimal number has one reading: in strict contexts
    /// (object metadata, Kubernetes' own types, whose decoders refuse it) it is an error; in a
    /// Cilium spec only the CRD's schema refuses it, and the CRD check reports that.
    /// </summary>
    internal static void CheckText(Scalar scalar, PathRef path, DiagnosticBag diagnostics, bool strict = false)
    {
        switch (scalar.Kind)
        {
            case ScalarKind.Boolean:
                var reading = scalar.Text.ToLowerInvariant() is "true" or "false"
                    ? "a boolean"
                    : $"a boolean: YAML 1.1, which Kubernetes reads, takes {scalar.Text} unquoted as {(SourceText.IsTrue(scalar.Text) ? "true" : "false")}";
                diagnostics.Error(FieldErrorKind.Invalid, path.ToString(), scalar.Position,
                    $"must be a string, found {reading}; the API server refuses a boolean here", scalar.Text, $"quote it: \"{scalar.Text}\"", code: "MBR1030");
                break;
            case ScalarKind.Number when !PortValues.IsPlainDecimal(scalar.Text):
                diagnostics.Error(FieldErrorKind.Invalid, path.ToString(), scalar.Position,
                    "must be a string, found a number whose value YAML versions disagree on (a leading 0 is octal in YAML 1.1, which Kubernetes uses)",
                    scalar.Text, $"quote it: \"{scalar.Text}\"", code: "MBR1031");
                break;
            case ScalarKind.Number when strict || diagnostics.StrictTypes:
                diagnostics.Error(FieldErrorKind.Invalid, path.ToString(), scalar.Position, "must be a string, found a number; the API server refuses a number here",
                    scalar.Text, $"quote it: \"{scalar.Text}\"", code: "MBR1032");
                break;
            // A plain decimal number in a Cilium spec reads as written; the CRD check says that
            // the API server refuses it (a warning, an error under --compat cilium).

        }
    }

    /// <summary>A string map's entries in the order written; a repeated key is reported, not kept.</summary>
    private static PolicyList<KeyValue> KeyValuesOf(SourceMapping mapping, PathRef path, DiagnosticBag diagnostics, bool[]? consumed)
    {
        var items = ImmutableArray.CreateBuilder<KeyValue>(mapping.Entries.Count);
        for (var i = 0; i < mapping.Entries.Count; i++)
        {
            var (key, value) = mapping.Entries[i];
            if (consumed is not null)
            {
                consumed[i] = true;
            }

            // A repeated key was reported by the source reader; keep the first.
            if (IndexOfKey(mapping, key.Text) < i)
            {
                continue;
            }

            Scalar text;
            switch (value)
            {
                case SourceScalar { IsNull: true }:
                    // A key with no value (role:) is the empty string to Kubernetes.
                    text = new Scalar("", ScalarKind.String, value.Position);
                    break;
                case SourceScalar scalar:
                    text = ToScalar(scalar);

                    // Label and annotation values are strings to Kubernetes (map[string]string).
                    CheckText(text, PathRef.Of(FieldPath.Child(path.ToString(), key.Text)), diagnostics, strict: true);
                    break;
                default:
                    diagnostics.Error(FieldErrorKind.Invalid, FieldPath.Child(path.ToString(), key.Text), value.Position, $"must be a single value, found {value.ShapeName}", code: "MBR1033");
                    continue;
            }

            items.Add(new KeyValue(ToScalar(key), text) { Position = key.Position });
        }

        return new PolicyList<KeyValue>(items.DrainToImmutable());
    }

    private static int IndexOfKey(SourceMapping mapping, string key)
    {
        for (var i = 0; i < mapping.Entries.Count; i++)
        {
            if (mapping.Entries[i].Key.Text == key)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The sequence of a list field; null (after reporting) when it is not a list.</summary>
    private static SourceSequence? ItemsOf(SourceNode node, PathRef path, DiagnosticBag diagnostics)
    {
        switch (node)
        {
            case SourceSequence sequence:
                return sequence;
            case SourceScalar { IsNull: true }:
                return null;
            default:
                diagnostics.Error(FieldErrorKind.Invalid, path.ToString(), node.Position, $"must be a list, found {node.ShapeName}", code: "MBR1034");
                return null;
        }
    }

    private static bool IsEmptyItem(SourceNode item, PathRef path, DiagnosticBag diagnostics)
    {
        if (item is not SourceScalar { IsNull: true })
        {
            return false;
        }

        diagnostics.Error(FieldErrorKind.Invalid, path.ToString(), item.Position, "an empty list item; remove it or give it a value", code: "MBR1035");
        return true;
    }
}
