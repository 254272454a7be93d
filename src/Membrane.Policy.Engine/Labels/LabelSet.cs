using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace Membrane.Policy.Engine.Labels;

/// <summary>
/// An immutable, sorted set of labels: what an identity is made of. Two sets with the same labels
/// are equal, whatever order they were written in.
/// </summary>
public sealed class LabelSet : IEquatable<LabelSet>
{
    private readonly ImmutableArray<Label> _labels;
    private readonly int _hash;

    public LabelSet(IEnumerable<Label> labels)
    {
        // Sorted and deduplicated in one array: identity files and benchmarks build 100,000 sets.
        var sorted = labels.ToArray();
        Array.Sort(sorted, Compare);
        var count = 0;
        for (var i = 0; i < sorted.Length; i++)
        {
            if (count == 0 || sorted[i] != sorted[count - 1])
            {
                sorted[count++] = sorted[i];
            }
        }

        _labels = count == sorted.Length ? ImmutableCollectionsMarshal.AsImmutableArray(sorted) : [.. sorted.AsSpan(0, count)];
        var hash = new HashCode();
        foreach (var label in _labels)
        {
            hash.Add(label);
        }

        _hash = hash.ToHashCode();
    }

    public static LabelSet Empty { get; } = new([]);

    private static int Compare(Label a, Label b)
    {
        var bySource = string.CompareOrdinal(a.Source, b.Source);
        if (bySource != 0)
        {
            return bySource;
        }

        var byKey = string.CompareOrdinal(a.Key, b.Key);
        return byKey != 0 ? byKey : string.CompareOrdinal(a.Value, b.Value);
    }

    public ImmutableArray<Label> Labels => _labels;

    /// <summary>Parses <c>k8s:app=web,k8s:io.kubernetes.pod.namespace=default</c>; see <see cref="TryParse"/>.</summary>
    public static LabelSet Parse(string text) =>
        TryParse(text, out var set, out var error) ? set : throw new FormatException(error);

    /// <summary>
    /// Parses comma-separated labels, each as <see cref="LabelSyntax"/> reads it, or says why not. An identity is its
    /// labels, so what would make a set mean something other than what was written is refused: no labels at all (which
    /// <c>""</c> would otherwise give, an identity that every selector of <c>{}</c> matches and no other), an empty
    /// label between commas, and one key with two values. Nothing is trimmed, around a comma or elsewhere: a space is
    /// not part of any label, and <c>"k8s:app=x\n"</c> is not <c>k8s:app=x</c>.
    /// </summary>
    public static bool TryParse(string text, out LabelSet set, out string error)
    {
        set = Empty;
        var labels = new List<Label>();
        if (text.Length > 0)
        {
            foreach (var part in text.Split(','))
            {
                if (part.Length == 0)
                {
                    error = $"{LabelSyntax.Quote(text)} has an empty label (two commas, or a comma at one end)";
                    return false;
                }

                if (!LabelSyntax.TryParse(part, out var label, out error))
                {
                    return false;
                }

                labels.Add(label);
            }
        }

        return TryCreate(labels, out set, out error);
    }

    /// <summary>A set of these labels, unless it is empty or gives one key two values.</summary>
    public static bool TryCreate(IReadOnlyCollection<Label> labels, out LabelSet set, out string error)
    {
        set = Empty;
        if (labels.Count == 0)
        {
            error = "no labels; an endpoint needs at least one, like k8s:app=web";
            return false;
        }

        // Sorted by source, then key: two values of one key are neighbours.
        var candidate = new LabelSet(labels);
        for (var i = 1; i < candidate._labels.Length; i++)
        {
            var (before, label) = (candidate._labels[i - 1], candidate._labels[i]);
            if (before.Source == label.Source && before.Key == label.Key)
            {
                error = $"the label {label.Source}:{label.Key} has two values, \"{before.Value}\" and \"{label.Value}\"";
                return false;
            }
        }

        set = candidate;
        error = "";
        return true;
    }

    /// <summary>The value of the label with this key, from a source that <paramref name="source"/> accepts.</summary>
    public bool TryGetValue(string source, string key, out string value)
    {
        foreach (var label in _labels)
        {
            if (label.Key == key && (source == Label.SourceAny || label.Source == source))
            {
                value = label.Value;
                return true;
            }
        }

        value = "";
        return false;
    }

    /// <summary>The namespace of a pod identity, if it has one.</summary>
    public string? Namespace => TryGetValue(Label.SourceAny, Label.NamespaceKey, out var ns) ? ns : null;

    public bool Equals(LabelSet? other) => other is not null && _hash == other._hash && _labels.SequenceEqual(other._labels);

    public override bool Equals(object? obj) => Equals(obj as LabelSet);

    public override int GetHashCode() => _hash;

    public override string ToString() => string.Join(",", _labels);
}
