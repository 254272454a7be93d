namespace Membrane.Policy.Engine.Identities;

/// <summary>
/// One change to a node's identity set, as the set publishes it (<see cref="IdentitySet.Changed"/>):
/// an identity added or removed. Each endpoint's resolver applies it as a delta of its map state
/// (<see cref="MapState.PolicyResolver.Apply"/>); none of them changes the set.
/// </summary>
public sealed record IdentityChange(bool Added, Identity Identity)
{
    public static IdentityChange Add(Identity identity) => new(true, identity);

    public static IdentityChange Remove(Identity identity) => new(false, identity);
}
