namespace Membrane.Policy.Model;

/// <summary>The parts of Kubernetes object metadata that policy cares about.</summary>
public sealed record ObjectMetadata : PolicyNode
{
    public Scalar? Name { get; init; }

    public Scalar? Namespace { get; init; }

    public PolicyList<KeyValue> Labels { get; init; }

    public PolicyList<KeyValue> Annotations { get; init; }
}
