namespace Membrane.Policy.Model;

/// <summary>A NetworkPolicy ingress rule (<c>from</c>, <c>ports</c>) or egress rule (<c>to</c>, <c>ports</c>).</summary>
public sealed record NetworkPolicyRule : PolicyNode
{
    public PolicyList<NetworkPolicyPeer> Peers { get; init; }

    public PolicyList<NetworkPolicyPort> Ports { get; init; }
}
