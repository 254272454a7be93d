namespace Membrane.Policy.Model;

/// <summary>The spec of a Kubernetes NetworkPolicy.</summary>
public sealed record NetworkPolicySpec : PolicyNode
{
    public LabelSelector? PodSelector { get; init; }

    public PolicyList<NetworkPolicyRule> Ingress { get; init; }

    public PolicyList<NetworkPolicyRule> Egress { get; init; }

    public PolicyList<Scalar> PolicyTypes { get; init; }
}
