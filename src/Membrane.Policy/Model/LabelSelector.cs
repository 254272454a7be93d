namespace Membrane.Policy.Model;

/// <summary>
/// A Kubernetes label selector: <c>endpointSelector</c>, <c>nodeSelector</c>, <c>fromEndpoints</c>
/// items, a NetworkPolicy's <c>podSelector</c>. The requirements are ANDed; an empty selector
/// selects everything.
/// </summary>
public sealed record LabelSelector : PolicyNode
{
    public PolicyList<KeyValue> MatchLabels { get; init; }

    public PolicyList<LabelRequirement> MatchExpressions { get; init; }

    public bool IsEmpty => MatchLabels.IsEmpty && MatchExpressions.IsEmpty;
}
