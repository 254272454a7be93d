using System.Net;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Tracing;

/// <summary>
/// A packet to trace, read from what a user typed: each side by labels and/or an address, and the packet by a port
/// or an ICMP message. One reading for the offline <c>policy trace</c> and for the agent's live trace; a
/// <see cref="FormatException"/> names the option (as <c>policy trace</c> spells it) that does not read.
/// </summary>
public sealed record TraceQuery(LabelSet? SourceLabels, IPAddress? SourceAddress, LabelSet? DestinationLabels, IPAddress? DestinationAddress, L4Spec L4)
{
    public static TraceQuery Parse(string? source, string? destination, string? sourceIp, string? destinationIp, string? port, string? icmp)
    {
        if ((port is null) == (icmp is null))
        {
            throw new FormatException("give exactly one of --dport PORT/PROTOCOL and --icmp TYPE[/CODE][/FAMILY]");
        }

        var l4 = port is not null ? Option(port, "--dport", L4Spec.ParsePort) : Option(icmp!, "--icmp", L4Spec.ParseIcmp);
        var query = new TraceQuery(Labels(source, "--src"), Address(sourceIp, "--src-ip"), Labels(destination, "--dst"), Address(destinationIp, "--dst-ip"), l4);
        if (query.SourceLabels is null && query.SourceAddress is null || query.DestinationLabels is null && query.DestinationAddress is null)
        {
            throw new FormatException("name the source with --src or --src-ip, and the destination with --dst or --dst-ip");
        }

        return query;
    }

    public static LabelSet? Labels(string? text, string option) =>
        text is null ? null : LabelSet.TryParse(text, out var set, out var error) ? set : throw new FormatException($"{option}: {error}");

    private static L4Spec Option(string text, string option, Func<string, L4Spec> parse)
    {
        try
        {
            return parse(text);
        }
        catch (FormatException e)
        {
            throw new FormatException($"{option}: {e.Message}", e);
        }
    }

    /// <summary>An address as Go's netip reads it, which Cilium uses: no 10.1, no 010.0.0.1, no brackets or zones.</summary>
    private static IPAddress? Address(string? text, string option) =>
        text is null ? null : IpAddressText.TryParse(text, out var address, out var error) ? address : throw new FormatException($"{option}: \"{text}\" is not an IP address: {error}");
}
