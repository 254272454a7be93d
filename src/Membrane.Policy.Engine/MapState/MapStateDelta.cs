using System.Collections.Immutable;

namespace Membrane.Policy.Engine.MapState;

/// <summary>What changed between two map states: the datapath applies exactly this.</summary>
public sealed record MapStateDelta(ImmutableDictionary<PolicyKey, PolicyEntry> Added, ImmutableArray<PolicyKey> Removed)
{
    public static MapStateDelta Empty { get; } = new(ImmutableDictionary<PolicyKey, PolicyEntry>.Empty, []);

    public bool IsEmpty => Added.IsEmpty && Removed.IsEmpty;

    /// <summary>The delta that turns <paramref name="before"/> into <paramref name="after"/> (a changed entry is removed and added).</summary>
    public static MapStateDelta Between(EndpointMapState before, EndpointMapState after)
    {
        var added = after.Entries.Where(e => !before.Entries.TryGetValue(e.Key, out var old) || !old.Equals(e.Value)).ToImmutableDictionary();
        var removed = before.Entries.Keys.Where(k => !after.Entries.TryGetValue(k, out var now) || !now.Equals(before.Entries[k])).ToImmutableArray();
        return new MapStateDelta(added, removed);
    }
}
