namespace Membrane.Api;

/// <summary>A Kubernetes namespace as the agent knows it: its labels, and its endpoints.</summary>
public sealed record NamespaceInfo(string Name, IReadOnlyDictionary<string, string> Labels, IReadOnlyList<string> Endpoints);
