using Membrane.Datapath.Layout;

namespace Membrane.Datapath.Encoding;

/// <summary>Reads conntrack entries back: addresses, ports or the echo identifier, state, and the lifetime left.</summary>
public static class ConntrackDecoder
{
    /// <param name="now">The CLOCK_MONOTONIC nanoseconds the entries' expiry times count in.</param>
    public static ConntrackRow Decode(in ConntrackKey key, in ConntrackEntry entry, ulong now)
    {
        var icmp = Packets.ParsedPacket.IsIcmpOf(key.Family, key.Protocol);
        var protocol = DatapathNames.Protocol(key.Family, key.Protocol);
        var ports = icmp ? $"echo id {key.SourcePort}" : $"{key.SourcePort} -> {key.DestinationPort}";
        var state = (entry.Flags & ConntrackEntry.FlagClosing) != 0 ? "closing"
            : (entry.Flags & ConntrackEntry.FlagSeenReply) != 0 ? "established" : "new";
        var left = entry.ExpiresAt > now ? (entry.ExpiresAt - now) / (double)DatapathConstants.NanosecondsPerSecond : 0;
        return new ConntrackRow(key.EndpointId, key.Direction == DatapathConstants.DirectionEgress ? "egress" : "ingress", protocol,
            key.Source.ToAddress(key.Family).ToString(), key.Destination.ToAddress(key.Family).ToString(), ports, left > 0 ? state : "expired", Math.Round(left, 1));
    }
}
