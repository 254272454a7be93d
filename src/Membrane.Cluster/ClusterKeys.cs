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

    /// <summary>An identity by number: its labels' canonical text.</summary>
    public static string Identity(uint id) => $"{Prefix}identities/id/{id}";

    /// <summary>Who holds a pod CIDR: the node's name. Not under a lease: a node keeps its CIDRs across restarts.</summary>
    public static string PodCidr(System.Net.IPNetwork cidr) => $"{Prefix}podcidrs/{cidr.BaseAddress}-{cidr.PrefixLength}";

    /// <summary>A node's pod CIDR of one family (<c>ipv4</c> or <c>ipv6</c>).</summary>
    public static string NodePodCidr(string node, System.Net.Sockets.AddressFamily family) =>
        $"{Prefix}nodes/{node}/podcidr/{(family == System.Net.Sockets.AddressFamily.InterNetwork ? "ipv4" : "ipv6")}";

    /// <summary>An identity by labels: its number and the labels (so that a hash collision is seen, never believed).</summary>
    public static string IdentityByLabels(string labels) =>
        $"{Prefix}identities/labels/{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(labels)))}";
}
