using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Engine.Tracing;

namespace Membrane.Cli.Output;

/// <summary>A trace for people: each side's decision with the rules behind it, then the final verdict.</summary>
public static class TraceTextWriter
{
    public static void Write(TraceResult result, TextWriter output)
    {
        output.WriteLine($"Tracing {result.L4} from {Describe(result.Source)} to {Describe(result.Destination)}");
        WriteAddress(output, "source", result.SourceAddress, result.SourceSeen ?? result.Source);
        WriteAddress(output, "destination", result.DestinationAddress, result.DestinationSeen ?? result.Destination);
        foreach (var note in result.Notes)
        {
            output.WriteLine($"  note: {note}");
        }

        output.WriteLine();
        WriteSide(output, "Egress from source", result.Source, result.Egress);
        WriteSide(output, "Ingress to destination", result.Destination, result.Ingress);
        output.WriteLine($"Final verdict: {(result.Final == Verdict.Allow ? "ALLOWED" : "DENIED")}");
    }

    /// <summary>The address as Membrane read it, so that a reader sees what was understood.</summary>
    private static void WriteAddress(TextWriter output, string side, System.Net.IPAddress? address, Identity identity)
    {
        if (address is not null)
        {
            output.WriteLine($"  {side} address: {address} (identity {identity.Id})");
        }
    }

    internal static string Describe(Identity identity) => $"identity {identity.Id} ({identity.Labels})";

    private static void WriteSide(TextWriter output, string title, Identity identity, PolicyDecision? decision)
    {
        output.WriteLine($"{title} ({identity.Id}):");
        if (decision is null)
        {
            output.WriteLine("  not enforced: the peer is not an endpoint, so Membrane makes no decision on this side");
        }
        else
        {
            output.WriteLine($"  {(decision.IsAllowed ? "ALLOWED" : "DENIED")}: {decision.Reason}");
            if (decision.Key is { } key)
            {
                output.WriteLine($"  map entry: {key}");
            }
        }

        output.WriteLine();
    }
}
