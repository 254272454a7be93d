using Membrane.Agent.Endpoints;

namespace Membrane.Agent.Node;

/// <summary>
/// An endpoint as the agent keeps it: its name, Kubernetes namespace and labels (as given, with the namespace label
/// added), the datapath's endpoint number, its identity, its network, and the ports it names.
/// </summary>
public sealed record EndpointRecord(
    string Name,
    string KubernetesNamespace,
    IReadOnlyList<string> Labels,
    uint EndpointId,
    uint Identity,
    EndpointNetwork Network)
{
    /// <summary>The ports it names, which rules may name (<see cref="EndpointPorts"/>).</summary>
    public System.Collections.Immutable.ImmutableDictionary<string, Membrane.Policy.Engine.Identities.NamedPort> NamedPorts { get; init; } =
        System.Collections.Immutable.ImmutableDictionary<string, Membrane.Policy.Engine.Identities.NamedPort>.Empty;
}
