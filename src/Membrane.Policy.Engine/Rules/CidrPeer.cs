using System.Collections.Immutable;
using System.Net;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Rules;

/// <summary>
/// Addresses in a prefix, minus exceptions. It matches the CIDR identities of prefixes inside it
/// and outside every exception; a /0 also matches the world identity of its family, which is the
/// identity of any address no policy prefix covers.
/// <para>
/// With <see cref="SelectsEndpoints"/> (a Kubernetes NetworkPolicy <c>ipBlock</c>) it also matches an endpoint
/// identity whose addresses of the prefix's family all lie inside it and outside every exception: Kubernetes' own
/// e2e suite expects an <c>ipBlock</c> to apply to pod addresses ("should enforce except clause while egress access
/// to server in CIDR block"). Cilium's <c>toCIDR</c> and <c>fromCIDRSet</c> never select endpoints (Cilium's
/// documented behaviour), so a CiliumNetworkPolicy's CIDR rule leaves them false. Policy is decided by identity, so an
/// identity shared by endpoints on both sides of the prefix, or an exception, is not matched: that fails closed.
/// </para>
/// </summary>
public sealed record CidrPeer(Cidr Prefix, ImmutableArray<Cidr> Except) : PeerSelector
{
    /// <summary>Whether endpoints whose addresses lie in the prefix are matched too (Kubernetes semantics).</summary>
    public bool SelectsEndpoints { get; init; }

    public override bool Matches(Identity identity)
    {
        if (identity.Prefix is { } prefix)
        {
            return Prefix.Contains(prefix) && !Except.Any(e => e.Contains(prefix));
        }

        if (SelectsEndpoints && identity.IsEndpoint)
        {
            return HoldsEvery(identity.Addresses);
        }

        return Prefix.PrefixLength == 0 && (identity.Id == 2 || identity.Id == (Prefix.IsIPv4 ? 9u : 10u));
    }

    /// <summary>Whether the endpoint addresses of this prefix's family are at least one, and all inside it and outside every exception.</summary>
    private bool HoldsEvery(ImmutableArray<IPAddress> addresses)
    {
        var any = false;
        foreach (var address in addresses.Where(a => a.AddressFamily == Prefix.Family))
        {
            if (!Prefix.Contains(address) || Except.Any(e => e.Contains(address)))
            {
                return false;
            }

            any = true;
        }

        return any;
    }

    public override string ToString() =>
        (Except.IsEmpty ? $"CIDR {Prefix}" : $"CIDR {Prefix} except {string.Join(", ", Except)}") + (SelectsEndpoints ? " (and endpoints in it)" : "");
}
