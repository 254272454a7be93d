namespace Membrane.Api;

/// <summary>
/// The cluster as this agent follows it: whether etcd answers, the revision it has applied, the cluster's policy
/// revision and the one this node enforces, its lease, the entries it skipped as bad data, and every live node.
/// </summary>
public sealed record ClusterStatusResponse(string Node, bool Connected, long Revision, long AppliedRevision, long PolicyRevision, long EnforcedPolicyRevision,
    string Lease, long BadData, int RemoteEndpoints, IReadOnlyList<NodeInfo> Nodes);
