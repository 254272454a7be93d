namespace Membrane.Cluster;

/// <summary>etcd did not answer (unreachable, no leader, or too slow): what was asked was not done.</summary>
public sealed class EtcdUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
