using System.Security.Cryptography;
using System.Text;

namespace Membrane.Cluster;

/// <summary>
/// Where the cluster's state lives in etcd, under one versioned prefix (<c>membrane/v1/</c>), so that a later layout can
/// sit beside this one while nodes move over. Label sets are keyed by the SHA-256 of their canonical text: labels hold
/// <c>/</c> and <c>=</c>, and a key must not let one label set's key be a prefix of another's. docs/cluster.md lists them.
/// </summary>
public static class ClusterKeys
{
    public const string Prefix = "membrane/v1/";

    /// <summary>The next identity number to hand out; absent before the first.</summary>
    public const string NextIdentity = Prefix + "identities/next";

    public const string IdentitiesPrefix = Prefix + "identities/id/";
    public const string ReferencesPrefix = Prefix + "identities/refs/";
    public const string NodesPrefix = Prefix + "nodes/";
    public const string IpcachePrefix = Prefix + "ipcache/";
    public const string PoliciesPrefix = Prefix + "policies/";

    /// <summary>The namespace part of a cluster-scoped policy's key (no Kubernetes namespace can be named so).</summary>
    public const string ClusterScope = "_";

    /// <summary>An identity by number: its labels' canonical text.</summary>
    public static string Identity(uint id) => $"{IdentitiesPrefix}{id}";

    /// <summary>A node's reference to an identity (its endpoints have it), under that node's lease.</summary>
    public static string Reference(uint id, string node) => $"{ReferencesPrefix}{id}/{node}";

    /// <summary>Every node's references to an identity.</summary>
    public static string References(uint id) => $"{ReferencesPrefix}{id}/";

    /// <summary>Who holds a pod CIDR: the node's name. Not under a lease: a node keeps its CIDRs across restarts.</summary>
    public static string PodCidr(System.Net.IPNetwork cidr) => $"{Prefix}podcidrs/{cidr.BaseAddress}-{cidr.PrefixLength}";

    /// <summary>A node's pod CIDR of one family (<c>ipv4</c> or <c>ipv6</c>).</summary>
    public static string NodePodCidr(string node, System.Net.Sockets.AddressFamily family) =>
        $"{NodesPrefix}{node}/podcidr/{(family == System.Net.Sockets.AddressFamily.InterNetwork ? "ipv4" : "ipv6")}";

    /// <summary>A node's record (<see cref="NodeRecord"/>), under its lease.</summary>
    public static string Node(string node) => $"{NodesPrefix}{node}";

    /// <summary>An endpoint address in the ipcache (<see cref="IpcacheRecord"/>), under its node's lease.</summary>
    public static string Ipcache(System.Net.IPAddress address) => $"{IpcachePrefix}{address}";

    /// <summary>A policy resource, holding its document as imported.</summary>
    public static string Policy(string kind, string? ns, string name) => $"{PoliciesPrefix}{kind}/{ns ?? ClusterScope}/{name}";

    /// <summary>An identity by labels: its number and the labels (so that a hash collision is seen, never believed).</summary>
    public static string IdentityByLabels(string labels) =>
        $"{Prefix}identities/labels/{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(labels)))}";
}
