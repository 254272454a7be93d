namespace Membrane.Policy.Model;

/// <summary>A Kubernetes secret by namespace and name.</summary>
public sealed record SecretReference : PolicyNode
{
    public Scalar? Namespace { get; init; }

    public Scalar? Name { get; init; }
}
