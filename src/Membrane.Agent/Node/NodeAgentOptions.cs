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
    /// A directory on a bpf file system where each endpoint's program links are pinned, so that enforcement outlives a
    /// crash of the agent (a link not pinned is detached when its last descriptor closes); null pins nothing.
    /// </summary>
    public string? PinDirectory { get; init; }
}
