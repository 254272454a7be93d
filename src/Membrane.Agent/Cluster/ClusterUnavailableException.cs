namespace Membrane.Agent.Cluster;

/// <summary>
/// A change needs the cluster (a new label set's identity number comes from etcd) and etcd did not answer: nothing of
/// the change was made. Endpoints whose labels the node already knows are still created.
/// </summary>
public sealed class ClusterUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
