namespace Membrane.Api;

/// <summary>One side of a monitored packet: its identity and, when it is one of the agent's endpoints, its name and labels.</summary>
public sealed record MonitorPeer(uint Identity, string? Name, string? Namespace, IReadOnlyList<string> Labels);
