using System.CommandLine;
using Membrane.Api;
using Membrane.Cli.Output;

namespace Membrane.Cli.Commands.Agent;

/// <summary><c>membrane node list</c>: the cluster's live nodes, as the agent follows them.</summary>
public static class NodeCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var socket = SocketOption.Create();
        var output = OutputOption.Create();
        var list = new Command("list", "List the cluster's live nodes: underlay addresses, pod CIDRs, version, health and the policy revision each enforces.") { socket, output };
        list.SetAction(parse => AgentCall.Run(parse.GetValue(socket), stderr, async client =>
        {
            var nodes = await client.ListNodesAsync();
            if (OutputOption.Parse(parse.GetValue(output)!) == OutputFormat.Json)
            {
                AgentCall.WriteJson(stdout, nodes, ApiJsonContext.Default.ListNodeInfo);
                return 0;
            }

            NodeTable.Write(new TerminalSafeWriter(stdout), nodes, policyRevision: null);
            return 0;
        }));
        return new Command("node", "The cluster's nodes (cluster mode).") { list };
    }
}
