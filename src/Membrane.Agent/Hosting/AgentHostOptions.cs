using System.Net;

namespace Membrane.Agent.Hosting;

/// <summary>
/// Where an agent keeps things: its state directory, its API socket (mode 0600, root only) and its bpffs root, as
/// ARCHITECTURE.md gives them, so that several agents, each in its own node namespace, can run side by side.
/// </summary>
public sealed record AgentHostOptions
{
    public string StateDirectory { get; init; } = "/var/lib/membrane";

    public string Socket { get; init; } = Membrane.Api.AgentClient.DefaultSocket;

    public string BpffsRoot { get; init; } = "/sys/fs/bpf/membrane";

    /// <summary>The node's name, which keeps host-side interface names apart between nodes; the host name by default.</summary>
    public string NodeName { get; init; } = Environment.MachineName;

    /// <summary>Where Prometheus scrapes <c>/metrics</c>: a loopback address and port, or null for no metrics.</summary>
    public IPEndPoint? Metrics { get; init; } = new(IPAddress.Loopback, 9962);

    public IPNetwork IPv4Pool { get; init; } = IPNetwork.Parse("10.200.0.0/16");

    public IPNetwork IPv6Pool { get; init; } = IPNetwork.Parse("fd00:200::/64");
}
