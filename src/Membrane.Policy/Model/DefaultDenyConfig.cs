namespace Membrane.Policy.Model;

/// <summary><c>enableDefaultDeny</c>: whether a rule turns its direction to default-deny.</summary>
public sealed record DefaultDenyConfig : PolicyNode
{
    public Scalar? Ingress { get; init; }

    public Scalar? Egress { get; init; }
}
