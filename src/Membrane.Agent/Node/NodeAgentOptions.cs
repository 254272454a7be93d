using System.Net;
using Membrane.Datapath.Ebpf.Loading;
using Membrane.Netlink.Namespaces;

namespace Membrane.Agent.Node;

/// <summary>
/// What a node agent manages: the node's network namespace (and its name, which makes host-side interface names
/// unique between nodes), the address pools, and the datapath's map sizes. The defaults are private ranges:
/// 10.200.0.0/16 (RFC 1918) and fd00:200::/64 (a unique local prefix, RFC 4193).
/// </summary>
public sealed record NodeAgentOptions(NetworkNamespace Node, string NodeName)
{
    public IPNetwork IPv4Pool { get; init; } = IPNetwork.Parse("10.200.0.0/16");

    public IPNetwork IPv6Pool { get; init; } = IPNetwork.Parse("fd00:200::/64");

    public DatapathLoaderOptions Datapath { get; init; } = DatapathLoaderOptions.Default;

    /// <summary>
    /// A directory on a bpf file system where the datapath (<c>datapath/</c>: its maps and programs) and each
    /// endpoint's program links (<c>links/</c>) are pinned, so that enforcement outlives the agent (a link not pinned is
    /// detached when its last descriptor closes) and a restarted agent takes the same maps back; null pins nothing.
    /// </summary>
    public string? PinRoot { get; init; }

    /// <summary>
    /// Where endpoints and policies are kept (one JSON file per object, written atomically), so that a restarted agent
    /// restores them; null keeps nothing, and then disposing the agent removes its endpoints (nothing would take them back).
    /// </summary>
    public string? StateDirectory { get; init; }

    /// <summary>
    /// Where a new label set's identity number comes from: in cluster mode the cluster's allocator (one number per label
    /// set across every node), which throws when it cannot answer; null numbers identities on the node alone.
    /// </summary>
    public Func<Membrane.Policy.Engine.Labels.LabelSet, uint>? IdentityNumbers { get; init; }
}
