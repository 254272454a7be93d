using Membrane.Policy.Model;

namespace Membrane.Policy.Validation.Schema;

/// <summary>
/// Cilium's CRD schemas, embedded in this assembly and loaded on first use, once per process: the
/// cilium.io/v2 schema of CiliumNetworkPolicy and CiliumClusterwideNetworkPolicy, and the schema of
/// a bare rule (the CRD's <c>spec</c>), which <c>cilium policy import</c> takes.
/// </summary>
internal static class CrdSchemas
{
    private const string Version = "v2";

    private static readonly Lazy<CrdSchemaNode> Namespaced = new(() => Load("crds/ciliumnetworkpolicies.yaml", "CiliumNetworkPolicy"));

    private static readonly Lazy<CrdSchemaNode> Clusterwide = new(() => Load("crds/ciliumclusterwidenetworkpolicies.yaml", "CiliumClusterwideNetworkPolicy"));

    /// <summary>The schema a document is checked against, or null for kinds the CRDs do not define.</summary>
    public static CrdSchemaNode? For(PolicyKind kind) => kind switch
    {
        PolicyKind.CiliumNetworkPolicy => Namespaced.Value,
        PolicyKind.CiliumClusterwideNetworkPolicy => Clusterwide.Value,
        PolicyKind.CiliumRule => Namespaced.Value.Properties!["spec"],
        _ => null,
    };

    private static CrdSchemaNode Load(string resource, string expectedKind)
    {
        using var stream = typeof(CrdSchemas).Assembly.GetManifestResourceStream(resource)
            ?? throw new InvalidOperationException($"the CRD {resource} is not embedded in {typeof(CrdSchemas).Assembly.GetName().Name}");
        using var reader = new StreamReader(stream);
        var (kind, schema) = CrdSchemaLoader.Load(resource, reader.ReadToEnd(), Version);
        return kind == expectedKind ? schema : throw new InvalidDataException($"{resource} defines {kind}, not {expectedKind}");
    }
}
