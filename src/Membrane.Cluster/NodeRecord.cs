namespace Membrane.Cluster;

/// <summary>
/// A node as it announces itself, under its lease (gone when its agent has not renewed the lease for its TTL): its
/// underlay addresses (where other nodes route its pod CIDRs), its pod CIDRs, its agent's version, the policy revision
/// (etcd's) it enforces, and its health in a word or a sentence.
/// </summary>
public sealed record NodeRecord(string Name, IReadOnlyList<string> Addresses, IReadOnlyList<string> PodCidrs, string Version, long PolicyRevision, string Health);
