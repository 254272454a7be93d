namespace Membrane.Policy.Model;

/// <summary>AWS instances chosen by tags, security group ids or names, in a region.</summary>
public sealed record AwsGroup : PolicyNode
{
    public PolicyList<KeyValue> Labels { get; init; }

    public PolicyList<Scalar> SecurityGroupsIds { get; init; }

    public PolicyList<Scalar> SecurityGroupsNames { get; init; }

    public Scalar? Region { get; init; }
}
