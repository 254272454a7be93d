using System.CommandLine;
using System.Net;
using Membrane.Agent.Hosting;
using Membrane.Agent.State;

namespace Membrane.Cli.Commands.Agent;

/// <summary>
/// <c>membrane agent</c>: runs the node agent in the foreground until SIGTERM or Ctrl-C. Each setting comes from its
/// flag, else from the config file (<c>--config</c>, or /etc/membrane/agent.yaml when it exists), else the default.
/// </summary>
public static class AgentCommand
{
    public static Command Create(TextWriter stderr)
    {
        var defaults = new AgentHostOptions();
        var config = new Option<string>("--config") { Description = $"A YAML file of these settings (flags override it); {AgentConfigFile.DefaultPath} is read when it exists." };
        var state = new Option<string>("--state-dir") { Description = $"Where endpoints and policies are kept, for a restarted agent to restore [default: {defaults.StateDirectory}]." };
        var socket = new Option<string>("--socket") { Description = $"The API's unix socket, mode 0600 [default: {defaults.Socket}]." };
        var bpffs = new Option<string>("--bpffs-root") { Description = $"Where the datapath and the endpoints' program links are pinned (a bpf file system), so enforcement outlives the agent [default: {defaults.BpffsRoot}]." };
        var node = new Option<string>("--node-name") { Description = "The node's name (keeps interface names apart between nodes) [default: the host name]." };
        var ipv4 = new Option<string>("--ipv4-pool") { Description = $"Endpoint IPv4 addresses come from here; its first address is the node's gateway [default: {defaults.IPv4Pool}]." };
        var ipv6 = new Option<string>("--ipv6-pool") { Description = $"Endpoint IPv6 addresses come from here [default: {defaults.IPv6Pool}]." };
        var metrics = new Option<string>("--metrics") { Description = $"Where Prometheus scrapes /metrics: a loopback ADDRESS:PORT, or none [default: {defaults.Metrics}]." };
        var policyMap = new Option<int?>("--policy-map-entries") { Description = $"How many entries the policy map holds; each endpoint holds twice its policy's entries, and a change that would need more is refused [default: {defaults.PolicyMapEntries}]." };
        var pinCheck = new Option<double?>("--pin-check-interval") { Description = $"Seconds between checks that the pins are in place (what was removed is pinned again) [default: {defaults.PinCheckInterval.TotalSeconds}]." };
        var eventRate = new Option<uint?>("--event-rate") { Description = $"Events per second each CPU may send to the monitor (drops, and new flows while one watches), burst as many; the rest are counted as suppressed [default: {defaults.EventRate}]." };
        var resync = new Option<double?>("--resync-interval") { Description = $"Seconds between comparisons of the kernel's maps with what the agent wrote (what differs is put back, logged and counted) [default: {defaults.ResyncInterval.TotalSeconds}]." };
        var cluster = new Option<bool>("--cluster") { Description = "Cluster mode: share identities, the ipcache, routes and policies with the other nodes through etcd (docs/cluster.md)." };
        var clusterPool = new Option<string>("--cluster-pool") { Description = "The pools every node's pod CIDRs come from, one per family, comma-separated [default: 10.240.0.0/12,fd00:240::/96]." };
        var clusterOptions = new (string Field, string Description)[]
        {
            ("etcdEndpoints", "etcd's client URLs, comma-separated: http://ADDRESS:2379, or https:// with the TLS files below."),
            ("etcdCa", "The CA (PEM) that signed etcd's server certificates; with it, only that CA is trusted."),
            ("etcdCert", "The agent's client certificate (PEM), for etcd's mutual TLS."),
            ("etcdKey", "The client certificate's private key (PEM)."),
            ("nodeCidrSize", "The prefix length of each node's IPv4 pod CIDR [default: 24]."),
            ("nodeCidrSizeIPv6", "The prefix length of each node's IPv6 pod CIDR [default: 112]."),
            ("nodeAddresses", "This node's underlay addresses, one per family, comma-separated: the other nodes route its pod CIDRs through them."),
            ("leaseTtl", "Seconds the node's announcements outlive its agent (its lease's TTL) [default: 15]."),
            ("identityGrace", "Seconds an identity no node references is kept before it is released [default: 300]."),
        }.Select(o => (o.Field, Option: new Option<string>("--" + Kebab(o.Field)) { Description = o.Description })).ToList();
        var command = new Command("agent", "Run the node agent in the foreground: it owns this network namespace's endpoints and policies and serves the API.")
        {
            config, state, socket, bpffs, node, ipv4, ipv6, metrics, policyMap, pinCheck, resync, eventRate, cluster, clusterPool,
        };
        clusterOptions.ForEach(o => command.Options.Add(o.Option));
        command.SetAction(async (parse, cancellation) =>
        {
            var options = defaults;
            var file = parse.GetValue(config) ?? (File.Exists(AgentConfigFile.DefaultPath) ? AgentConfigFile.DefaultPath : null);
            try
            {
                if (file is not null)
                {
                    options = AgentConfigFile.Read(file, options);
                }
            }
            catch (Exception e) when (e is FormatException or IOException or UnauthorizedAccessException)
            {
                stderr.WriteLine($"membrane: {e.Message}");
                return MembraneCommand.UsageError;
            }

            if (parse.GetValue(ipv4) is { } pool4Text)
            {
                if (AgentConfigFile.Pool(pool4Text, System.Net.Sockets.AddressFamily.InterNetwork) is not { } pool4)
                {
                    stderr.WriteLine("membrane: --ipv4-pool takes an IPv4 prefix, such as 10.200.0.0/16");
                    return MembraneCommand.UsageError;
                }

                options = options with { IPv4Pool = pool4 };
            }

            if (parse.GetValue(ipv6) is { } pool6Text)
            {
                if (AgentConfigFile.Pool(pool6Text, System.Net.Sockets.AddressFamily.InterNetworkV6) is not { } pool6)
                {
                    stderr.WriteLine("membrane: --ipv6-pool takes an IPv6 prefix, such as fd00:200::/64");
                    return MembraneCommand.UsageError;
                }

                options = options with { IPv6Pool = pool6 };
            }

            if (parse.GetValue(metrics) is { } metricsText)
            {
                IPEndPoint? metricsAt = null;
                if (metricsText != "none" && (metricsAt = AgentConfigFile.Metrics(metricsText)) is null)
                {
                    stderr.WriteLine("membrane: --metrics takes a loopback address and port, such as 127.0.0.1:9962, or none");
                    return MembraneCommand.UsageError;
                }

                options = options with { Metrics = metricsAt };
            }

            if (parse.GetValue(policyMap) is { } entries)
            {
                if (AgentConfigFile.PolicyMapEntries(entries) is not { } valid)
                {
                    stderr.WriteLine($"membrane: --policy-map-entries takes a number of entries from {AgentConfigFile.MinPolicyMapEntries} to {AgentConfigFile.MaxPolicyMapEntries}");
                    return MembraneCommand.UsageError;
                }

                options = options with { PolicyMapEntries = valid };
            }

            if (parse.GetValue(pinCheck) is { } seconds)
            {
                if (AgentConfigFile.PinCheckInterval(seconds) is not { } interval)
                {
                    stderr.WriteLine("membrane: --pin-check-interval takes seconds from 0.1 to 3600");
                    return MembraneCommand.UsageError;
                }

                options = options with { PinCheckInterval = interval };
            }

            if (parse.GetValue(eventRate) is { } perSecond)
            {
                if (AgentConfigFile.EventRate(perSecond) is not { } rate)
                {
                    stderr.WriteLine($"membrane: --event-rate takes events per second from {AgentConfigFile.MinEventRate} to {AgentConfigFile.MaxEventRate}");
                    return MembraneCommand.UsageError;
                }

                options = options with { EventRate = rate };
            }

            if (parse.GetValue(resync) is { } resyncSeconds)
            {
                if (AgentConfigFile.ResyncInterval(resyncSeconds) is not { } interval)
                {
                    stderr.WriteLine("membrane: --resync-interval takes seconds from 0.1 to 3600");
                    return MembraneCommand.UsageError;
                }

                options = options with { ResyncInterval = interval };
            }

            try
            {
                if (parse.GetValue(cluster))
                {
                    options = AgentConfigFile.Cluster(options, "cluster", "true");
                }

                foreach (var pool in (parse.GetValue(clusterPool) ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                {
                    options = AgentConfigFile.Cluster(options, pool.Contains(':') ? "clusterPoolIPv6" : "clusterPoolIPv4", pool);
                }

                foreach (var (field, option) in clusterOptions)
                {
                    if (parse.GetValue(option) is { } value)
                    {
                        options = AgentConfigFile.Cluster(options, field, value);
                    }
                }
            }
            catch (FormatException e)
            {
                stderr.WriteLine($"membrane: {e.Message}");
                return MembraneCommand.UsageError;
            }

            if (options.Problem() is { } problem)
            {
                stderr.WriteLine($"membrane: {problem}");
                return MembraneCommand.UsageError;
            }

            options = options with
            {
                StateDirectory = parse.GetValue(state) ?? options.StateDirectory,
                Socket = parse.GetValue(socket) ?? options.Socket,
                BpffsRoot = parse.GetValue(bpffs) ?? options.BpffsRoot,
                NodeName = parse.GetValue(node) ?? options.NodeName,
            };

            if (!Environment.IsPrivilegedProcess)
            {
                stderr.WriteLine("membrane: the agent needs root: it creates network namespaces and loads eBPF programs");
                return MembraneCommand.UsageError;
            }

            try
            {
                return await AgentHost.RunAsync(options, cancellation);
            }
            catch (AgentStateException e)
            {
                stderr.WriteLine($"membrane: {e.Message}");
                return AgentStateException.ExitCode;
            }
        });
        return command;
    }

    /// <summary><c>etcdEndpoints</c> as a flag: <c>etcd-endpoints</c>; <c>nodeCidrSizeIPv6</c>: <c>node-cidr-size-ipv6</c>.</summary>
    private static string Kebab(string field) =>
        string.Concat(field.Replace("IPv6", "-ipv6").Replace("IPv4", "-ipv4").Select(c => char.IsUpper(c) ? "-" + char.ToLowerInvariant(c) : c.ToString()));
}
