namespace Membrane.Policy.Model;

/// <summary>The four rule lists of a Cilium rule.</summary>
public enum PolicySection
{
    Ingress,
    IngressDeny,
    Egress,
    EgressDeny,
}
