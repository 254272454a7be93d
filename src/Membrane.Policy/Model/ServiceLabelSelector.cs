namespace Membrane.Policy.Model;

/// <summary><c>k8sServiceSelector</c>: services chosen by their labels, optionally in one namespace.</summary>
public sealed record ServiceLabelSelector : PolicyNode
{
    public LabelSelector? Selector { get; init; }

    public Scalar? Namespace { get; init; }
}
