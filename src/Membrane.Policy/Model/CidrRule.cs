namespace Membrane.Policy.Model;

/// <summary>A <c>fromCIDRSet</c>/<c>toCIDRSet</c> entry: a prefix (or a CIDR group) minus exceptions.</summary>
public sealed record CidrRule : PolicyNode
{
    public Scalar? Cidr { get; init; }

    public Scalar? CidrGroupRef { get; init; }

    public LabelSelector? CidrGroupSelector { get; init; }

    public PolicyList<Scalar> Except { get; init; }
}
