namespace Membrane.Policy.Model;

/// <summary>A Kubernetes <c>networking.k8s.io/v1</c> NetworkPolicy.</summary>
public sealed record NetworkPolicy : PolicyDocument
{
    public override PolicyKind Kind => PolicyKind.NetworkPolicy;

    public Scalar? ApiVersion { get; init; }

    public ObjectMetadata? Metadata { get; init; }

    public NetworkPolicySpec? Spec { get; init; }

    public override string DisplayName
    {
        get
        {
            var name = Metadata?.Name?.Text ?? "(unnamed)";
            var ns = Metadata?.Namespace?.Text;
            return ns is { Length: > 0 } ? $"NetworkPolicy {ns}/{name}" : $"NetworkPolicy {name}";
        }
    }
}
