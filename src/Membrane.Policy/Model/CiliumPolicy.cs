namespace Membrane.Policy.Model;

/// <summary>
/// A CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy (<c>cilium.io/v2</c>), which holds a
/// <c>spec</c>, a list of <c>specs</c>, or both; or a bare rule from a JSON array (Spec only).
/// </summary>
public sealed record CiliumPolicy : PolicyDocument
{
    public PolicyKind PolicyKind { get; init; } = PolicyKind.CiliumNetworkPolicy;

    public override PolicyKind Kind => PolicyKind;

    public Scalar? ApiVersion { get; init; }

    public ObjectMetadata? Metadata { get; init; }

    public CiliumRule? Spec { get; init; }

    public PolicyList<CiliumRule> Specs { get; init; }

    /// <summary>A <c>description</c> beside <c>spec</c>, which Kubernetes prunes.</summary>
    public Scalar? TopLevelDescription { get; init; }

    public override string DisplayName
    {
        get
        {
            if (PolicyKind == PolicyKind.CiliumRule)
            {
                return $"Cilium rule {PathPrefix}".TrimEnd();
            }

            var name = Metadata?.Name?.Text ?? "(unnamed)";
            var ns = Metadata?.Namespace?.Text;
            return ns is { Length: > 0 } && PolicyKind == PolicyKind.CiliumNetworkPolicy ? $"{PolicyKind} {ns}/{name}" : $"{PolicyKind} {name}";
        }
    }

    /// <summary>The rules with the field path each was written at (<c>spec</c>, <c>specs[1]</c>, or the prefix alone).</summary>
    public IEnumerable<(CiliumRule Rule, string Path)> Rules()
    {
        if (PolicyKind == PolicyKind.CiliumRule)
        {
            if (Spec is not null)
            {
                yield return (Spec, PathPrefix);
            }

            yield break;
        }

        if (Spec is not null)
        {
            yield return (Spec, PathOf("spec"));
        }

        for (var i = 0; i < Specs.Count; i++)
        {
            yield return (Specs[i], PathOf($"specs[{i}]"));
        }
    }
}
