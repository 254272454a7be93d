namespace Membrane.Policy.Model;

/// <summary>
/// A Cilium policy rule (the <c>spec</c> of a CiliumNetworkPolicy, one of its <c>specs</c>, or an
/// element of a bare JSON array): the endpoints (or nodes) it selects and its four rule lists.
/// </summary>
public sealed record CiliumRule : PolicyNode
{
    public LabelSelector? EndpointSelector { get; init; }

    public LabelSelector? NodeSelector { get; init; }

    public PolicyList<PeerRule> Ingress { get; init; }

    public PolicyList<PeerRule> IngressDeny { get; init; }

    public PolicyList<PeerRule> Egress { get; init; }

    public PolicyList<PeerRule> EgressDeny { get; init; }

    public DefaultDenyConfig? EnableDefaultDeny { get; init; }

    public Scalar? Description { get; init; }

    public PolicyList<RuleLabel> Labels { get; init; }

    public LogConfig? Log { get; init; }

    public PolicyList<PeerRule> Section(PolicySection section) => section switch
    {
        PolicySection.Ingress => Ingress,
        PolicySection.IngressDeny => IngressDeny,
        PolicySection.Egress => Egress,
        _ => EgressDeny,
    };
}
