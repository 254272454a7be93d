namespace Membrane.Policy.Values;

/// <summary>
/// The entity names Cilium accepts in <c>fromEntities</c>/<c>toEntities</c>. <c>none</c> selects no
/// peer (Cilium's reserved:none); world-ipv4 and world-ipv6 are known to Cilium's agent but missing
/// from its CRD's enum, which the CRD check reports.
/// </summary>
public static class Entities
{
    public static IReadOnlyList<string> Names { get; } =
    [
        "all", "world", "world-ipv4", "world-ipv6", "cluster", "host", "remote-node", "kube-apiserver",
        "ingress", "init", "health", "unmanaged", "none",
    ];

    public static bool IsKnown(string name) => Names.Contains(name);
}
