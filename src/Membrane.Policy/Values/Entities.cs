namespace Membrane.Policy.Values;

/// <summary>The entity names Cilium accepts in <c>fromEntities</c>/<c>toEntities</c>.</summary>
public static class Entities
{
    public static IReadOnlyList<string> Names { get; } =
    [
        "all", "world", "world-ipv4", "world-ipv6", "cluster", "host", "remote-node", "kube-apiserver",
        "ingress", "init", "health", "unmanaged",
    ];

    public static bool IsKnown(string name) => Names.Contains(name);
}
