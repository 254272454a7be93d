using Membrane.Policy.Model;

namespace Membrane.Policy.Reading;

/// <summary>Binds a Kubernetes NetworkPolicy's spec into <see cref="NetworkPolicySpec"/>.</summary>
internal static class NetworkPolicyBinder
{
    public static NetworkPolicySpec BindSpec(MappingReader r) => r.Finish(new NetworkPolicySpec
    {
        Position = r.Position,
        PodSelector = r.Object("podSelector", CiliumRuleBinder.BindSelector),
        Ingress = r.ObjectList("ingress", m => BindRule(m, "from")),
        Egress = r.ObjectList("egress", m => BindRule(m, "to")),
        PolicyTypes = r.StringList("policyTypes"),
    });

    private static NetworkPolicyRule BindRule(MappingReader r, string peers) => r.Finish(new NetworkPolicyRule
    {
        Position = r.Position,
        Peers = r.ObjectList(peers, m => m.Finish(new NetworkPolicyPeer
        {
            Position = m.Position,
            PodSelector = m.Object("podSelector", CiliumRuleBinder.BindSelector),
            NamespaceSelector = m.Object("namespaceSelector", CiliumRuleBinder.BindSelector),
            IpBlock = m.Object("ipBlock", b => b.Finish(new IpBlock
            {
                Position = b.Position,
                Cidr = b.String("cidr"),
                Except = b.StringList("except"),
            })),
        })),
        Ports = r.ObjectList("ports", m => m.Finish(new NetworkPolicyPort
        {
            Position = m.Position,
            Protocol = m.String("protocol"),
            Port = m.Scalar("port"),
            EndPort = m.Integer("endPort"),
        })),
    }, key => key is "from" or "to" ? $"{(peers == "from" ? "ingress" : "egress")} rules name their peers with \"{peers}\"" : null);
}
