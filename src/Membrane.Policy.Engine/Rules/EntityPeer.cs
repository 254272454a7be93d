using Membrane.Policy.Engine.Identities;

namespace Membrane.Policy.Engine.Rules;

/// <summary>
/// An entity: a named group of identities. <c>cluster</c> is every endpoint plus host, remote-node,
/// init, health, unmanaged and kube-apiserver; <c>world</c> is everything outside the cluster (the
/// world identities and every CIDR identity).
/// </summary>
public sealed record EntityPeer(string Entity) : PeerSelector
{
    public override bool Matches(Identity identity) => Entity switch
    {
        "world" => identity.Id is 2 or 9 or 10 || identity.IsCidr,
        "world-ipv4" => identity.Id is 2 or 9 || identity.Prefix is { IsIPv4: true },
        "world-ipv6" => identity.Id is 2 or 10 || identity.Prefix is { IsIPv4: false },
        "cluster" => identity.IsEndpoint || identity.Id is 1 or 3 or 4 or 5 or 6 or 7,
        "host" => identity.Id == 1,
        "unmanaged" => identity.Id == 3,
        "health" => identity.Id == 4,
        "init" => identity.Id == 5,
        "remote-node" => identity.Id == 6,
        "kube-apiserver" => identity.Id == 7,
        "ingress" => identity.Id == 8,

        // "none" selects no peer at all.
        _ => false,
    };

    public override string ToString() => $"entity {Entity}";
}
