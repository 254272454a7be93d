using System.CommandLine;
using Membrane.Api;
using Membrane.Cli.Output;

namespace Membrane.Cli.Commands.Agent;

/// <summary><c>membrane cluster status</c>: the cluster as the agent follows it: etcd, revisions, and each node's health.</summary>
public static class ClusterCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var socket = SocketOption.Create();
        var output = OutputOption.Create();
        var status = new Command("status", "Show whether etcd answers, the revisions the node has applied, and each node with its health and the policy revision it enforces.") { socket, output };
        status.SetAction(parse => AgentCall.Run(parse.GetValue(socket), stderr, async client =>
        {
            var cluster = await client.ClusterStatusAsync();
            if (OutputOption.Parse(parse.GetValue(output)!) == OutputFormat.Json)
            {
                AgentCall.WriteJson(stdout, cluster, ApiJsonContext.Default.ClusterStatusResponse);
                return cluster.Connected ? 0 : 1;
            }

            var text = new TerminalSafeWriter(stdout);
            text.WriteLine($"node:             {cluster.Node}");
            text.WriteLine($"etcd:             {(cluster.Connected ? "connected" : "out of reach (enforcing what it has)")}");
            text.WriteLine($"revision:         {cluster.AppliedRevision} applied of {cluster.Revision} seen");
            text.WriteLine($"policy revision:  {cluster.EnforcedPolicyRevision} enforced of {cluster.PolicyRevision}");
            text.WriteLine($"lease:            {cluster.Lease}");
            text.WriteLine($"remote endpoints: {cluster.RemoteEndpoints} addresses");
            text.WriteLine($"bad data:         {cluster.BadData} entries skipped");
            text.WriteLine("");
            NodeTable.Write(text, cluster.Nodes, cluster.PolicyRevision);
            return cluster.Connected ? 0 : 1;
        }));
        return new Command("cluster", "The cluster the agent is part of (cluster mode).") { status };
    }
}
