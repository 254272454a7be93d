using Membrane.Policy.Engine.Identities;

namespace Membrane.Policy.Engine.Rules;

/// <summary>
/// Peers Membrane cannot resolve (toFQDNs, toServices, groups, nodes, CIDR groups). They select
/// nothing, so an allow rule with them allows nothing: fail closed. Validation refuses deny rules
/// with them, since those would deny nothing.
/// </summary>
public sealed record NoPeer(string Reason) : PeerSelector
{
    public override bool Matches(Identity identity) => false;

    public override string ToString() => $"no peer ({Reason})";
}
