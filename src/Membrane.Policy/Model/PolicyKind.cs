namespace Membrane.Policy.Model;

/// <summary>What kind of object a policy document is.</summary>
public enum PolicyKind
{
    CiliumNetworkPolicy,
    CiliumClusterwideNetworkPolicy,

    /// <summary>A bare Cilium rule, as in the JSON arrays that <c>cilium policy import</c> takes.</summary>
    CiliumRule,

    NetworkPolicy,
}
