using System.CommandLine;
using System.Net;
using Membrane.Agent.Hosting;

namespace Membrane.Cli.Commands.Agent;

/// <summary><c>membrane agent</c>: runs the node agent in the foreground until SIGTERM or Ctrl-C.</summary>
public static class AgentCommand
{
    public static Command Create(TextWriter stderr)
    {
        var defaults = new AgentHostOptions();
        var socket = new Option<string>("--socket") { Description = "The API's unix socket (mode 0600).", DefaultValueFactory = _ => defaults.Socket };
        var bpffs = new Option<string>("--bpffs-root") { Description = "Where the agent pins the endpoints' program links (a bpf file system), so enforcement outlives a crash.", DefaultValueFactory = _ => defaults.BpffsRoot };
        var node = new Option<string>("--node-name") { Description = "The node's name (keeps interface names apart between nodes).", DefaultValueFactory = _ => defaults.NodeName };
        var ipv4 = new Option<string>("--ipv4-pool") { Description = "Endpoint IPv4 addresses come from here; its first address is the node's gateway.", DefaultValueFactory = _ => defaults.IPv4Pool.ToString() };
        var ipv6 = new Option<string>("--ipv6-pool") { Description = "Endpoint IPv6 addresses come from here.", DefaultValueFactory = _ => defaults.IPv6Pool.ToString() };
        var metrics = new Option<string>("--metrics")
        {
            Description = "Where Prometheus scrapes /metrics: a loopback ADDRESS:PORT, or none.",
            DefaultValueFactory = _ => defaults.Metrics?.ToString() ?? "none",
        };
        var command = new Command("agent", "Run the node agent in the foreground: it owns this network namespace's endpoints and policies and serves the API.")
        {
            socket, bpffs, node, ipv4, ipv6, metrics,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            if (!IPNetwork.TryParse(parse.GetValue(ipv4)!, out var pool4) || !IPNetwork.TryParse(parse.GetValue(ipv6)!, out var pool6))
            {
                stderr.WriteLine("membrane: --ipv4-pool and --ipv6-pool take a prefix, such as 10.200.0.0/16 and fd00:200::/64");
                return MembraneCommand.UsageError;
            }

            IPEndPoint? metricsAt = null;
            if (parse.GetValue(metrics) is not "none" && (!IPEndPoint.TryParse(parse.GetValue(metrics)!, out metricsAt) || !IPAddress.IsLoopback(metricsAt.Address) || metricsAt.Port == 0))
            {
                stderr.WriteLine("membrane: --metrics takes a loopback address and port, such as 127.0.0.1:9962, or none");
                return MembraneCommand.UsageError;
            }

            if (!Environment.IsPrivilegedProcess)
            {
                stderr.WriteLine("membrane: the agent needs root: it creates network namespaces and loads eBPF programs");
                return MembraneCommand.UsageError;
            }

            return await AgentHost.RunAsync(new AgentHostOptions
            {
                Socket = parse.GetValue(socket)!,
                NodeName = parse.GetValue(node)!,
                BpffsRoot = parse.GetValue(bpffs)!,
                IPv4Pool = pool4,
                IPv6Pool = pool6,
                Metrics = metricsAt,
            }, cancellation);
        });
        return command;
    }
}
