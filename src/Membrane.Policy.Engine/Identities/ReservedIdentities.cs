using Membrane.Policy.Engine.Labels;

namespace Membrane.Policy.Engine.Identities;

/// <summary>Cilium's reserved identities, with its numbers and <c>reserved:</c> labels.</summary>
public static class ReservedIdentities
{
    public static Identity Host { get; } = Reserved(1, "host");
    public static Identity World { get; } = Reserved(2, "world");
    public static Identity Unmanaged { get; } = Reserved(3, "unmanaged");
    public static Identity Health { get; } = Reserved(4, "health");
    public static Identity Init { get; } = Reserved(5, "init");
    public static Identity RemoteNode { get; } = Reserved(6, "remote-node");
    public static Identity KubeApiServer { get; } = Reserved(7, "kube-apiserver");
    public static Identity Ingress { get; } = Reserved(8, "ingress");
    public static Identity WorldIPv4 { get; } = Reserved(9, "world-ipv4");
    public static Identity WorldIPv6 { get; } = Reserved(10, "world-ipv6");

    public static IReadOnlyList<Identity> All { get; } =
        [Host, World, Unmanaged, Health, Init, RemoteNode, KubeApiServer, Ingress, WorldIPv4, WorldIPv6];

    private static Identity Reserved(uint id, string name) => new(id, new LabelSet([new Label(Label.SourceReserved, name, "")]));
}
