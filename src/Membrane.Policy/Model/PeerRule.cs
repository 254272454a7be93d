namespace Membrane.Policy.Model;

/// <summary>
/// One entry of <c>ingress</c>, <c>ingressDeny</c>, <c>egress</c> or <c>egressDeny</c>: which peers,
/// and on which ports or ICMP types. The same record serves all four lists; the peer fields are
/// written <c>fromX</c> in ingress lists and <c>toX</c> in egress lists, and some exist only in one
/// direction (<c>toFQDNs</c>, <c>toServices</c>).
/// </summary>
public sealed record PeerRule : PolicyNode
{
    public PolicyList<LabelSelector> Endpoints { get; init; }

    public PolicyList<LabelSelector> Requires { get; init; }

    public PolicyList<Scalar> Cidrs { get; init; }

    public PolicyList<CidrRule> CidrSets { get; init; }

    public PolicyList<Scalar> Entities { get; init; }

    public PolicyList<LabelSelector> Nodes { get; init; }

    public PolicyList<GroupsRule> Groups { get; init; }

    /// <summary><c>toFQDNs</c>; egress only.</summary>
    public PolicyList<FqdnSelector> Fqdns { get; init; }

    /// <summary><c>toServices</c>; egress only.</summary>
    public PolicyList<ServiceSelector> Services { get; init; }

    public PolicyList<PortRule> ToPorts { get; init; }

    public PolicyList<IcmpRule> Icmps { get; init; }

    public AuthenticationRule? Authentication { get; init; }

    public LegacyAuthRule? Auth { get; init; }

    /// <summary>Whether the rule names any L3 peer; a rule without one applies to all peers.</summary>
    public bool HasPeers =>
        !Endpoints.IsEmpty || !Cidrs.IsEmpty || !CidrSets.IsEmpty || !Entities.IsEmpty || !Nodes.IsEmpty
        || !Groups.IsEmpty || !Fqdns.IsEmpty || !Services.IsEmpty;
}
