namespace Membrane.Cluster;

/// <summary>Which parts of the cluster's state a batch of changes touched.</summary>
[Flags]
public enum ClusterSection
{
    None = 0,
    Nodes = 1,
    Identities = 2,
    References = 4,
    Ipcache = 8,
    Policies = 16,
    All = Nodes | Identities | References | Ipcache | Policies,
}
