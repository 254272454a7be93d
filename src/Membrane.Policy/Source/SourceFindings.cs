using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Membrane.Policy.Diagnostics;

namespace Membrane.Policy.Source;

/// <summary>What a reader found while reading, collected without stopping.</summary>
internal sealed class SourceFindings
{
    private readonly List<FieldError> _items = [];

    public void Duplicate(SourcePath path, SourceScalar key, SourceScalar first) =>
        _items.Add(new FieldError
        {
            Code = "MBR1054",
            Severity = Severity.Error,
            Kind = FieldErrorKind.Duplicate,
            Path = path.Child(key.Text),
            Position = key.Position,
            BadValue = key.Text,
            Detail = first.Text == key.Text
                ? $"the key is given twice (first at line {first.Position.Line}); YAML and JSON readers disagree on which one holds"
                : $"the key is the same as \"{first.Text}\" at line {first.Position.Line} once YAML reads both; YAML and JSON readers disagree on which one holds",
        });

    public void Syntax(SourcePosition position, string detail, string code = "") =>
        _items.Add(new FieldError { Severity = Severity.Error, Kind = FieldErrorKind.Syntax, Path = "", Position = position, Detail = detail, Code = code });

    public ImmutableArray<FieldError> ToImmutable() => [.. _items];

    /// <summary>The findings collected since the last call, which then start afresh (one document's worth).</summary>
    public ImmutableArray<FieldError> Take()
    {
        var taken = ToImmutable();
        _items.Clear();
        return taken;
    }

    /// <summary>
    /// Reports the keys of a mapping that repeat an earlier one. Small mappings, which are nearly
    /// all of them, are compared pairwise; large ones through a set.
    /// </summary>
    public void CheckDuplicateKeys(SourcePath path, List<SourceEntry> entries) => CheckDuplicateKeys(path, CollectionsMarshal.AsSpan(entries));

    /// <inheritdoc cref="CheckDuplicateKeys(SourcePath, List{SourceEntry})"/>
    public void CheckDuplicateKeys(SourcePath path, ReadOnlySpan<SourceEntry> entries)
    {
        if (entries.Length < 2)
        {
            return;
        }

        // Nearly every mapping has only text keys, compared as written; a key of another kind is
        // compared by its canonical text, computed once per key.
        var allText = true;
        foreach (var (key, _) in entries)
        {
            allText &= key.Kind == ScalarKind.String;
        }

        if (allText && entries.Length <= 16)
        {
            for (var i = 1; i < entries.Length; i++)
            {
                for (var j = 0; j < i; j++)
                {
                    if (entries[j].Key.Text == entries[i].Key.Text)
                    {
                        Duplicate(path, entries[i].Key, entries[j].Key);
                        break;
                    }
                }
            }

            return;
        }

        var seen = new Dictionary<string, SourceScalar>(entries.Length, StringComparer.Ordinal);
        foreach (var (key, _) in entries)
        {
            var canonical = SourceText.CanonicalKey(key);
            if (!seen.TryAdd(canonical, key))
            {
                Duplicate(path, key, seen[canonical]);
            }
        }
    }
}
