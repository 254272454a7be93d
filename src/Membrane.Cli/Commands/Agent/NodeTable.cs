using Membrane.Api;
using Membrane.Cli.Output;

namespace Membrane.Cli.Commands.Agent;

/// <summary>The cluster's nodes as a table, for <c>cluster status</c> and <c>node list</c>.</summary>
internal static class NodeTable
{
    public static void Write(TerminalSafeWriter text, IReadOnlyList<NodeInfo> nodes, long? policyRevision)
    {
        if (nodes.Count == 0)
        {
            text.WriteLine("no node is up");
            return;
        }

        var rows = nodes.Select(n => new[]
        {
            n.Name, n.Health, string.Join(",", n.Addresses), string.Join(",", n.PodCidrs), n.Version,
            n.PolicyRevision + (policyRevision is { } current && n.PolicyRevision < current ? " (behind)" : ""),
        }).ToList();
        string[] header = ["NODE", "HEALTH", "ADDRESSES", "POD CIDRS", "VERSION", "POLICY REVISION"];
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        foreach (var row in rows.Prepend(header))
        {
            text.WriteLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))).TrimEnd());
        }
    }
}
