using System.Collections;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;

namespace Membrane.Policy.Model;

/// <summary>
/// An immutable list field of the model with value equality. It also remembers whether the field
/// was written at all: <c>egress:</c> left empty and no <c>egress</c> key mean the same to Cilium,
/// but only the first deserves a warning that it does nothing. <c>default</c> is "not written";
/// <c>[]</c> is "written, empty".
/// </summary>
[CollectionBuilder(typeof(PolicyList), nameof(PolicyList.Create))]
public readonly struct PolicyList<T> : IReadOnlyList<T>, IEquatable<PolicyList<T>>
{
    private readonly ImmutableArray<T> _items;

    internal PolicyList(ImmutableArray<T> items, Source.SourcePosition position = default)
    {
        _items = items;
        Position = position;
    }

    /// <summary>Where the list was written (its value), when it was read from a file; not part of equality.</summary>
    public Source.SourcePosition Position { get; }

    /// <summary>Whether the field was written, even if empty or null.</summary>
    public bool IsPresent => !_items.IsDefault;

    public bool IsEmpty => _items.IsDefaultOrEmpty;

    public int Count => _items.IsDefault ? 0 : _items.Length;

    public T this[int index] => _items[index];

    public ImmutableArray<T>.Enumerator GetEnumerator() => (_items.IsDefault ? ImmutableArray<T>.Empty : _items).GetEnumerator();

    IEnumerator<T> IEnumerable<T>.GetEnumerator() => ((IEnumerable<T>)(_items.IsDefault ? ImmutableArray<T>.Empty : _items)).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => ((IEnumerable<T>)this).GetEnumerator();

    public bool Equals(PolicyList<T> other)
    {
        if (IsPresent != other.IsPresent || Count != other.Count)
        {
            return false;
        }

        var comparer = EqualityComparer<T>.Default;
        for (var i = 0; i < Count; i++)
        {
            if (!comparer.Equals(_items[i], other._items[i]))
            {
                return false;
            }
        }

        return true;
    }

    public override bool Equals(object? obj) => obj is PolicyList<T> other && Equals(other);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.Add(IsPresent);
        foreach (var item in this)
        {
            hash.Add(item);
        }

        return hash.ToHashCode();
    }

    public static bool operator ==(PolicyList<T> left, PolicyList<T> right) => left.Equals(right);

    public static bool operator !=(PolicyList<T> left, PolicyList<T> right) => !left.Equals(right);

    public override string ToString() => IsPresent ? $"[{string.Join(", ", _items)}]" : "(absent)";
}
