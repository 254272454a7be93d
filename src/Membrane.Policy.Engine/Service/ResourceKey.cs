using Membrane.Policy.Model;

namespace Membrane.Policy.Engine.Service;

/// <summary>
/// What a policy is known by in the repository, as in Kubernetes: its kind, its namespace (none for
/// clusterwide kinds) and its name. A bare rule (the JSON arrays of <c>cilium policy import</c>) has
/// no name; it is known by where it was read (file and position in it).
/// </summary>
public readonly record struct ResourceKey(PolicyKind Kind, string? Namespace, string Name)
{
    public static ResourceKey Of(PolicyDocument document, string file) => document switch
    {
        CiliumPolicy { PolicyKind: PolicyKind.CiliumRule } rule => new(PolicyKind.CiliumRule, null, $"{file}{rule.PathPrefix}"),
        CiliumPolicy { PolicyKind: PolicyKind.CiliumClusterwideNetworkPolicy } clusterwide => new(PolicyKind.CiliumClusterwideNetworkPolicy, null, clusterwide.Metadata?.Name?.Text ?? ""),
        CiliumPolicy namespaced => new(namespaced.PolicyKind, namespaced.Metadata?.Namespace?.Text ?? "default", namespaced.Metadata?.Name?.Text ?? ""),
        NetworkPolicy network => new(PolicyKind.NetworkPolicy, network.Metadata?.Namespace?.Text ?? "default", network.Metadata?.Name?.Text ?? ""),
        _ => throw new ArgumentException($"no resource key for {document.GetType().Name}", nameof(document)),
    };

    public override string ToString() => Namespace is null ? $"{Kind}/{Name}" : $"{Kind} {Namespace}/{Name}";
}
