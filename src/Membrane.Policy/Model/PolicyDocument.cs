namespace Membrane.Policy.Model;

/// <summary>
/// One policy read from a file: a CiliumNetworkPolicy, a CiliumClusterwideNetworkPolicy, a bare
/// Cilium rule, or a Kubernetes NetworkPolicy.
/// </summary>
public abstract record PolicyDocument : PolicyNode
{
    /// <summary>
    /// The path of this document inside its file, prefixed to every field path of its errors:
    /// empty for a file's own object, <c>items[2]</c> inside a List, <c>[0]</c> in a JSON array.
    /// </summary>
    public string PathPrefix { get; init; } = "";

    public abstract PolicyKind Kind { get; }

    /// <summary>A name for people: <c>CiliumNetworkPolicy default/allow-ping</c>.</summary>
    public abstract string DisplayName { get; }

    /// <summary>Joins the document's prefix and a field path.</summary>
    public string PathOf(string field) =>
        PathPrefix.Length == 0 ? field : field.Length == 0 ? PathPrefix : field[0] == '[' ? PathPrefix + field : $"{PathPrefix}.{field}";
}
