namespace Membrane.Policy.Engine.Identities;

/// <summary>
/// One change to a node's identity set, as the set publishes it (<see cref="IdentitySet.Changed"/>):
/// an identity added, removed, or (with <see cref="Previous"/>) given other addresses. Each endpoint's resolver applies
/// it as a delta of its map state (<see cref="MapState.PolicyResolver.Apply"/>); none of them changes the set.
/// </summary>
public sealed record IdentityChange(bool Added, Identity Identity)
{
    /// <summary>
    /// For an endpoint identity whose addresses changed, the identity as it was: a Kubernetes <c>ipBlock</c> selects
    /// endpoints by address (<see cref="Rules.CidrPeer.SelectsEndpoints"/>), so a new address may bring the identity
    /// into a rule, or take it out.
    /// </summary>
    public Identity? Previous { get; init; }

    public static IdentityChange Add(Identity identity) => new(true, identity);

    public static IdentityChange Remove(Identity identity) => new(false, identity);

    public static IdentityChange Readdress(Identity previous, Identity identity) => new(true, identity) { Previous = previous };
}
