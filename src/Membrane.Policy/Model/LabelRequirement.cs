namespace Membrane.Policy.Model;

/// <summary>One <c>matchExpressions</c> entry: key, operator (In, NotIn, Exists, DoesNotExist), values.</summary>
public sealed record LabelRequirement : PolicyNode
{
    public Scalar? Key { get; init; }

    public Scalar? Operator { get; init; }

    public PolicyList<Scalar> Values { get; init; }
}
