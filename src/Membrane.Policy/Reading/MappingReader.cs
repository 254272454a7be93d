using Membrane.Policy.Diagnostics;
using Membrane.Policy.Model;
using Membrane.Policy.Source;

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
    private readonly List<string> _known = [];

    public MappingReader(SourceMapping mapping, string path, DiagnosticBag diagnostics)
    {
        _mapping = mapping;
        Path = path;
        _diagnostics = diagnostics;
        _consumed = new bool[mapping.Entries.Count];
    }

    public string Path { get; }

    public SourcePosition Position => _mapping.Position;

    public DiagnosticBag Diagnostics => _diagnostics;

    public bool Has(string key) => Find(key, report: false) is not null;

    /// <summary>A scalar field; null when absent or written as null.</summary>
    public Scalar? Scalar(string key)
    {
        var node = Take(key, out var path);
        return node is null ? null : ScalarOf(node, path, _diagnostics);
    }

    /// <summary>An object field; null when absent or written as null.</summary>
    public T? Object<T>(string key, Func<MappingReader, T> bind)
        where T : class
    {
        var node = Take(key, out var path);
        return node is null ? null : ObjectOf(node, path, _diagnostics, bind);
    }

    /// <summary>A list field. Written as null or <c>[]</c> it is present but empty.</summary>
    public PolicyList<T> List<T>(string key, Func<SourceNode, string, T?> bindItem)
    {
        var node = Take(key, out var path);
        return node is null ? default : ListOf(node, path, _diagnostics, bindItem);
    }

    public PolicyList<Scalar> ScalarList(string key)
    {
        var node = Take(key, out var path);
        return node is null ? default : ScalarListOf(node, path, _diagnostics);
    }

    /// <summary>A list of objects, each bound by <paramref name="bind"/>.</summary>
    public PolicyList<T> ObjectList<T>(string key, Func<MappingReader, T> bind)
        where T : class =>
        List(key, (node, path) => ObjectOf(node, path, _diagnostics, bind));

    /// <summary>A string-to-string map such as <c>matchLabels</c>, in the order written.</summary>
    public PolicyList<KeyValue> Map(string key)
    {
        var node = Take(key, out var path);
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
            _diagnostics.Error(FieldErrorKind.Invalid, path, node.Position, $"must be an object of string values, found {node.ShapeName}");
            return [];
        }

        var items = new List<KeyValue>(mapping.Entries.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (entryKey, entryValue) in mapping.Entries)
        {
            var entryPath = FieldPath.Child(path, entryKey.Text);
            if (!seen.Add(entryKey.Text))
            {
                _diagnostics.Error(FieldErrorKind.Duplicate, entryPath, entryKey.Position, "the key is given twice; only one value can hold", entryKey.Text);
                continue;
            }

            if (ScalarOf(entryValue, entryPath, _diagnostics) is { } value)
            {
                items.Add(new KeyValue(ToScalar(entryKey), value) { Position = entryKey.Position });
            }
            else
            {
                // A key with no value (role:) is the empty string to Kubernetes.
                items.Add(new KeyValue(ToScalar(entryKey), new Scalar("", ScalarKind.String, entryValue.Position)) { Position = entryKey.Position });
            }
        }

        return PolicyList.From(items);
    }

    /// <summary>A field that takes one value or a list of values; the model always holds a list.</summary>
    public PolicyList<Scalar> ScalarOrList(string key)
    {
        var node = Take(key, out var path);
        return node switch
        {
            null => default,
            SourceScalar { IsNull: true } => [],
            SourceScalar scalar => [ToScalar(scalar)],
            _ => ScalarListOf(node, path, _diagnostics),
        };
    }

    /// <summary>Every entry of a free-form string map (a generic L7 rule), all keys accepted.</summary>
    public PolicyList<KeyValue> TakeAll()
    {
        var items = new List<KeyValue>(_mapping.Entries.Count);
        for (var i = 0; i < _mapping.Entries.Count; i++)
        {
            var (key, value) = _mapping.Entries[i];
            _consumed[i] = true;
            var scalar = ScalarOf(value, FieldPath.Child(Path, key.Text), _diagnostics) ?? new Scalar("", ScalarKind.String, value.Position);
            items.Add(new KeyValue(ToScalar(key), scalar) { Position = key.Position });
        }

        return PolicyList.From(items);
    }

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
            var hint = hintFor?.Invoke(key.Text) ?? NameSuggester.DidYouMean(key.Text, _known);
            _diagnostics.Error(FieldErrorKind.UnknownField, FieldPath.Child(Path, key.Text), key.Position, "not a field of this object", key.Text, hint);
        }
    }

    public T Finish<T>(T value, Func<string, string?>? hintFor = null)
    {
        Complete(hintFor);
        return value;
    }

    private SourceNode? Take(string key, out string path)
    {
        _known.Add(key);
        var index = Find(key, report: true);

        // Most fields a binder asks for are absent; build the path only for those present.
        path = index is null ? "" : FieldPath.Child(Path, key);
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

            if (exact is null)
            {
                exact = i;
            }
            else if (report)
            {
                _diagnostics.Error(FieldErrorKind.Duplicate, FieldPath.Child(Path, key), _mapping.Entries[i].Key.Position,
                    "the field is given twice; YAML and JSON readers disagree on which one holds", key);
            }

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
                    written.Text, $"write \"{key}\"");
            }

            return i;
        }

        return null;
    }

    internal static Scalar? ScalarOf(SourceNode node, string path, DiagnosticBag diagnostics)
    {
        switch (node)
        {
            case SourceScalar { IsNull: true }:
                return null;
            case SourceScalar scalar:
                return ToScalar(scalar);
            default:
                diagnostics.Error(FieldErrorKind.Invalid, path, node.Position, $"must be a single value, found {node.ShapeName}");
                return null;
        }
    }

    internal static T? ObjectOf<T>(SourceNode node, string path, DiagnosticBag diagnostics, Func<MappingReader, T> bind)
        where T : class
    {
        switch (node)
        {
            case SourceScalar { IsNull: true }:
                return null;
            case SourceMapping mapping:
                return bind(new MappingReader(mapping, path, diagnostics));
            default:
                diagnostics.Error(FieldErrorKind.Invalid, path, node.Position, $"must be an object, found {node.ShapeName}");
                return null;
        }
    }

    internal static PolicyList<T> ListOf<T>(SourceNode node, string path, DiagnosticBag diagnostics, Func<SourceNode, string, T?> bindItem)
    {
        switch (node)
        {
            case SourceScalar { IsNull: true }:
                return [];
            case SourceSequence sequence:
                var items = new List<T>(sequence.Items.Count);
                for (var i = 0; i < sequence.Items.Count; i++)
                {
                    if (sequence.Items[i] is SourceScalar { IsNull: true, Text: "" or "~" or "null" } empty)
                    {
                        diagnostics.Error(FieldErrorKind.Invalid, FieldPath.Index(path, i), empty.Position, "an empty list item; remove it or give it a value");
                        continue;
                    }

                    if (bindItem(sequence.Items[i], FieldPath.Index(path, i)) is { } item)
                    {
                        items.Add(item);
                    }
                }

                return PolicyList.From(items);
            default:
                diagnostics.Error(FieldErrorKind.Invalid, path, node.Position, $"must be a list, found {node.ShapeName}");
                return [];
        }
    }

    internal static PolicyList<Scalar> ScalarListOf(SourceNode node, string path, DiagnosticBag diagnostics)
    {
        if (node is SourceScalar { IsNull: true })
        {
            return [];
        }

        if (node is not SourceSequence sequence)
        {
            diagnostics.Error(FieldErrorKind.Invalid, path, node.Position, $"must be a list, found {node.ShapeName}");
            return [];
        }

        var items = new List<Scalar>(sequence.Items.Count);
        for (var i = 0; i < sequence.Items.Count; i++)
        {
            var item = sequence.Items[i];
            if (item is SourceScalar { IsNull: true })
            {
                diagnostics.Error(FieldErrorKind.Invalid, FieldPath.Index(path, i), item.Position, "an empty list item; remove it or give it a value");
            }
            else if (ScalarOf(item, FieldPath.Index(path, i), diagnostics) is { } scalar)
            {
                items.Add(scalar);
            }
        }

        return PolicyList.From(items);
    }

    internal static Scalar ToScalar(SourceScalar scalar) => new(scalar.Text, scalar.Kind, scalar.Position);
}
