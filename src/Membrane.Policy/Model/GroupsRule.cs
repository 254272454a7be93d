namespace Membrane.Policy.Model;

/// <summary>A <c>toGroups</c>/<c>fromGroups</c> entry: peers from a cloud provider's groups.</summary>
public sealed record GroupsRule : PolicyNode
{
    public AwsGroup? Aws { get; init; }
}
