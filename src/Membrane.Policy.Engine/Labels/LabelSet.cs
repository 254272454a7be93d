using System.Collections.Immutable;

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
        _labels = [.. labels.Distinct().OrderBy(l => l.Source, StringComparer.Ordinal).ThenBy(l => l.Key, StringComparer.Ordinal).ThenBy(l => l.Value, StringComparer.Ordinal)];
        var hash = new HashCode();
        foreach (var label in _labels)
        {
            hash.Add(label);
        }

        _hash = hash.ToHashCode();
    }

    public static LabelSet Empty { get; } = new([]);

    public ImmutableArray<Label> Labels => _labels;

    /// <summary>Parses <c>k8s:app=web,k8s:io.kubernetes.pod.namespace=default</c>.</summary>
    public static LabelSet Parse(string text) =>
        new(text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Label.Parse));

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
