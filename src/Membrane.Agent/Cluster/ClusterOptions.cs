using System.Net;
using Membrane.Cluster;

namespace Membrane.Agent.Cluster;

/// <summary>
/// Cluster mode (<c>membrane agent --cluster</c>): where etcd is and how to reach it, the pools every node's pod CIDRs
/// come from, this node's underlay addresses (where the other nodes route its pod CIDRs), and the lease and grace times.
/// </summary>
public sealed record ClusterOptions(EtcdOptions Etcd)
{
    public IPNetwork IPv4Pool { get; init; } = IPNetwork.Parse("10.240.0.0/12");

    public IPNetwork IPv6Pool { get; init; } = IPNetwork.Parse("fd00:240::/96");

    /// <summary>The prefix length of each node's IPv4 pod CIDR.</summary>
    public int IPv4NodePrefix { get; init; } = 24;

    /// <summary>The prefix length of each node's IPv6 pod CIDR.</summary>
    public int IPv6NodePrefix { get; init; } = 112;

    /// <summary>This node's underlay addresses, one per family at most; the other nodes route its pod CIDRs through them.</summary>
    public IReadOnlyList<IPAddress> NodeAddresses { get; init; } = [];

    /// <summary>How long the node's announcements outlive its agent: its lease's TTL.</summary>
    public TimeSpan LeaseTtl { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>How long an identity no node references stays before it is released.</summary>
    public TimeSpan IdentityGrace { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Identity numbers the cluster hands out: the endpoint range below the node-local CIDR identities.</summary>
    public const uint FirstIdentity = Membrane.Policy.Engine.Identities.Identity.FirstEndpoint;

    public const uint LastIdentity = Membrane.Policy.Engine.Identities.Identity.FirstCidr - 1;
}
