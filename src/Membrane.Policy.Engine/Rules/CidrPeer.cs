using System.Collections.Immutable;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Rules;

/// <summary>
/// Addresses in a prefix, minus exceptions. It matches the CIDR identities of prefixes inside it
/// and outside every exception; a /0 also matches the world identity of its family, which is the
/// identity of any address no policy prefix covers.
/// </summary>
public sealed record CidrPeer(Cidr Prefix, ImmutableArray<Cidr> Except) : PeerSelector
{
    public override bool Matches(Identity identity)
    {
        if (identity.Prefix is { } prefix)
        {
            return Prefix.Contains(prefix) && !Except.Any(e => e.Contains(prefix));
        }

        return Prefix.PrefixLength == 0 && (identity.Id == 2 || identity.Id == (Prefix.IsIPv4 ? 9u : 10u));
    }

    public override string ToString() => Except.IsEmpty ? $"CIDR {Prefix}" : $"CIDR {Prefix} except {string.Join(", ", Except)}";
}
