namespace Membrane.Policy.Model;

/// <summary>A NetworkPolicy peer: pods (optionally in selected namespaces), or an IP block.</summary>
public sealed record NetworkPolicyPeer : PolicyNode
{
    public LabelSelector? PodSelector { get; init; }

    public LabelSelector? NamespaceSelector { get; init; }

    public IpBlock? IpBlock { get; init; }
}
