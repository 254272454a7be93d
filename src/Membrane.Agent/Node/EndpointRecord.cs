using Membrane.Agent.Endpoints;

namespace Membrane.Agent.Node;

/// <summary>
/// An endpoint as the agent keeps it: its name, Kubernetes namespace and labels (as given, with the namespace label
/// added), the datapath's endpoint number, its identity, and its network.
/// </summary>
public sealed record EndpointRecord(
    string Name,
    string KubernetesNamespace,
    IReadOnlyList<string> Labels,
    uint EndpointId,
    uint Identity,
    EndpointNetwork Network);
