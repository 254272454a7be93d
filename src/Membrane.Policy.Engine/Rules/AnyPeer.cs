using Membrane.Policy.Engine.Identities;

namespace Membrane.Policy.Engine.Rules;

/// <summary>Every peer: a rule with ports but no peers, <c>fromEntities: [all]</c>, or a NetworkPolicy rule without <c>from</c>.</summary>
public sealed record AnyPeer : PeerSelector
{
    public static AnyPeer Instance { get; } = new();

    public override bool IsWildcard => true;

    public override bool Matches(Identity identity) => true;

    public override string ToString() => "any peer";
}
