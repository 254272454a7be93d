using Membrane.Api;
using Membrane.Policy.Engine.Identities;

namespace Membrane.Cli.Output;

/// <summary>A trace for people: each side's decision with the rules behind it, then the final verdict.</summary>
public static class TraceTextWriter
{
    public static void Write(TraceReport report, TextWriter output)
    {
        output.WriteLine($"Tracing {report.Packet} from {Describe(report.Source)} to {Describe(report.Destination)}");
        WriteAddress(output, "source", report.Source);
        WriteAddress(output, "destination", report.Destination);
        foreach (var note in report.Notes)
        {
            output.WriteLine($"  note: {note}");
        }

        output.WriteLine();
        WriteSide(output, "Egress from source", report.Source, report.Egress);
        WriteSide(output, "Ingress to destination", report.Destination, report.Ingress);
        output.WriteLine($"Final verdict: {(report.Final == "allowed" ? "ALLOWED" : "DENIED")}");
    }

    /// <summary>The address as Membrane read it, so that a reader sees what was understood.</summary>
    private static void WriteAddress(TextWriter output, string side, TracePeer peer)
    {
        if (peer.Address is not null)
        {
            output.WriteLine($"  {side} address: {peer.Address} (identity {peer.SeenAs ?? peer.Id})");
        }
    }

    internal static string Describe(Identity identity) => $"identity {identity.Id} ({identity.Labels})";

    private static string Describe(TracePeer peer) => $"identity {peer.Id} ({string.Join(",", peer.Labels)})";

    private static void WriteSide(TextWriter output, string title, TracePeer peer, TraceDecisionInfo? decision)
    {
        output.WriteLine($"{title} ({peer.Id}):");
        if (decision is null)
        {
            output.WriteLine("  not enforced: the peer is not an endpoint, so Membrane makes no decision on this side");
        }
        else
        {
            output.WriteLine($"  {(decision.Verdict == "allowed" ? "ALLOWED" : "DENIED")}: {decision.Reason}");
            if (decision.Entry is { } entry)
            {
                output.WriteLine($"  map entry: {entry}");
            }
        }

        output.WriteLine();
    }
}
