namespace Membrane.Agent.State;

/// <summary>
/// One Kubernetes namespace's labels (<c>namespaces/NAME.json</c>), which every endpoint of the namespace carries as
/// <c>k8s:io.cilium.k8s.namespace.labels.KEY=VALUE</c>, for namespace selectors to match.
/// </summary>
public sealed record NamespaceState(string Name, Dictionary<string, string> Labels);
