namespace Membrane.Api;

/// <summary>A node of the cluster as it announces itself: its underlay addresses, pod CIDRs, version, the policy revision it enforces, and its health.</summary>
public sealed record NodeInfo(string Name, IReadOnlyList<string> Addresses, IReadOnlyList<string> PodCidrs, string Version, long PolicyRevision, string Health);
