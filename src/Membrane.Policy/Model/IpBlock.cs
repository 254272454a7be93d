namespace Membrane.Policy.Model;

/// <summary>A NetworkPolicy <c>ipBlock</c>: a CIDR minus exceptions.</summary>
public sealed record IpBlock : PolicyNode
{
    public Scalar? Cidr { get; init; }

    public PolicyList<Scalar> Except { get; init; }
}
