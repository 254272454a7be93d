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
}
