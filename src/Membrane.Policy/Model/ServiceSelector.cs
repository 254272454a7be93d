namespace Membrane.Policy.Model;

/// <summary>A <c>toServices</c> entry: a Kubernetes service by name or by label selector.</summary>
public sealed record ServiceSelector : PolicyNode
{
    public ServiceReference? K8sService { get; init; }

    public ServiceLabelSelector? K8sServiceSelector { get; init; }
}
