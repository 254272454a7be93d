using System.Net;

namespace Membrane.Agent.Hosting;

/// <summary>
/// Where an agent serves and pins: its API socket (mode 0600, root only), its metrics, and its bpffs root (the
/// endpoints' program links, pinned so that enforcement outlives a crash), so that several agents, each in its own
/// node namespace, can run side by side; and its state directory, from which a restarted agent restores its endpoints
/// and policies.
/// </summary>
public sealed record AgentHostOptions
{
    public const string DefaultStateDirectory = "/var/lib/membrane";

    public string StateDirectory { get; init; } = DefaultStateDirectory;

    public string Socket { get; init; } = Membrane.Api.AgentClient.DefaultSocket;

    public string BpffsRoot { get; init; } = "/sys/fs/bpf/membrane";

    /// <summary>The node's name, which keeps host-side interface names apart between nodes; the host name by default.</summary>
    public string NodeName { get; init; } = Environment.MachineName;

    /// <summary>Where Prometheus scrapes <c>/metrics</c>: a loopback address and port, or null for no metrics.</summary>
    public IPEndPoint? Metrics { get; init; } = new(IPAddress.Loopback, 9962);

    public IPNetwork IPv4Pool { get; init; } = IPNetwork.Parse("10.200.0.0/16");

    public IPNetwork IPv6Pool { get; init; } = IPNetwork.Parse("fd00:200::/64");

    /// <summary>
    /// How many entries the policy map holds (its capacity, fixed when the datapath is loaded; a pinned datapath keeps
    /// the capacity it was made with). Each endpoint holds twice its policy state's entries (two buffers).
    /// </summary>
    public int PolicyMapEntries { get; init; } = Membrane.Datapath.DatapathConstants.DefaultPolicyEntries;

    /// <summary>How often the agent checks that its pins are in place, and pins again what was removed.</summary>
    public TimeSpan PinCheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many events per second each CPU's token bucket lets the datapath send (drops, and new flows while a monitor
    /// watches), with a burst of as many: what is over is counted as suppressed, never queued.
    /// </summary>
    public uint EventRate { get; init; } = Membrane.Datapath.DatapathConstants.DefaultEventRate;

    /// <summary>How often the agent compares the kernel's maps with what it wrote, and puts back what differs.</summary>
    public TimeSpan ResyncInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long an API call waits for its change to be enforced before it answers that it was not (a change that had not
    /// started is dropped; one being made completes or is taken back on its own). Below the client's own timeout (60 s),
    /// so that the answer reaches it.
    /// </summary>
    public TimeSpan ChangeTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>Cluster mode (<c>--cluster</c>): the node shares identities, the ipcache, routes and policies through etcd.</summary>
    public bool ClusterMode { get; init; }

    /// <summary>
    /// The cluster's settings (etcd, the pools, the node's underlay addresses), used in cluster mode only; null when none
    /// was given. <see cref="Cluster"/> is what the agent runs with.
    /// </summary>
    public Cluster.ClusterOptions? ClusterSettings { get; init; }

    /// <summary>The cluster options in cluster mode, null otherwise (the node alone, with no etcd).</summary>
    public Cluster.ClusterOptions? Cluster => ClusterMode ? ClusterSettings : null;

    /// <summary>
    /// Why these options cannot run, or null: cluster mode needs etcd's endpoints; cluster settings without cluster mode
    /// are a mistake (the node would quietly run alone).
    /// </summary>
    public string? Problem() => (ClusterMode, ClusterSettings) switch
    {
        (true, null) or (true, { Etcd.Endpoints.Count: 0 }) => "cluster mode needs etcd: give --etcd-endpoints (or etcdEndpoints in the config file)",
        (false, not null) => "etcd and cluster settings are given, but cluster mode is not on: add --cluster (or cluster: true in the config file)",
        _ => null,
    };
}
