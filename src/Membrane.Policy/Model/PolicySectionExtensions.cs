namespace Membrane.Policy.Model;

public static class PolicySectionExtensions
{
    public static bool IsIngress(this PolicySection section) => section is PolicySection.Ingress or PolicySection.IngressDeny;

    public static bool IsDeny(this PolicySection section) => section is PolicySection.IngressDeny or PolicySection.EgressDeny;

    /// <summary>The field name as written in a policy: <c>ingress</c>, <c>ingressDeny</c>, ...</summary>
    public static string FieldName(this PolicySection section) => section switch
    {
        PolicySection.Ingress => "ingress",
        PolicySection.IngressDeny => "ingressDeny",
        PolicySection.Egress => "egress",
        _ => "egressDeny",
    };

    /// <summary>The prefix of peer fields: <c>from</c> for ingress, <c>to</c> for egress.</summary>
    public static string PeerPrefix(this PolicySection section) => section.IsIngress() ? "from" : "to";

    /// <summary>
    /// A peer field's name: <see cref="PeerPrefix"/> and <paramref name="suffix"/>. The binder and the validator ask
    /// for several for every rule, so Cilium's peer fields come from constants rather than a new string each time.
    /// </summary>
    public static string PeerField(this PolicySection section, string suffix) => (section.IsIngress(), suffix) switch
    {
        (true, "Endpoints") => "fromEndpoints",
        (false, "Endpoints") => "toEndpoints",
        (true, "Requires") => "fromRequires",
        (false, "Requires") => "toRequires",
        (true, "CIDR") => "fromCIDR",
        (false, "CIDR") => "toCIDR",
        (true, "CIDRSet") => "fromCIDRSet",
        (false, "CIDRSet") => "toCIDRSet",
        (true, "Entities") => "fromEntities",
        (false, "Entities") => "toEntities",
        (true, "Nodes") => "fromNodes",
        (false, "Nodes") => "toNodes",
        (true, "Groups") => "fromGroups",
        (false, "Groups") => "toGroups",
        _ => section.PeerPrefix() + suffix,
    };
}
