namespace Membrane.Policy.Model;

/// <summary><c>k8sService</c>: a service named by namespace and name.</summary>
public sealed record ServiceReference : PolicyNode
{
    public Scalar? ServiceName { get; init; }

    public Scalar? Namespace { get; init; }
}
