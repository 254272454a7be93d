using System.Collections.Immutable;

namespace Membrane.Policy.Model;

/// <summary>Builds <see cref="PolicyList{T}"/> values; also the target of collection expressions.</summary>
public static class PolicyList
{
    public static PolicyList<T> Create<T>(ReadOnlySpan<T> items) => new(ImmutableArray.Create(items));

    public static PolicyList<T> From<T>(IEnumerable<T> items) => new(items.ToImmutableArray());
}
