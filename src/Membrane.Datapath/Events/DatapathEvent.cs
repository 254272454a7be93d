using System.Net;
using System.Net.Sockets;
using Membrane.Policy.Icmp;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Events;

/// <summary>
/// A ring-buffer event as people read it: addresses as <see cref="IPAddress"/>, the reason, the protocol and the ICMP
/// type by name, and <see cref="ToString"/> as one line of <c>membrane monitor</c>.
/// </summary>
public sealed record DatapathEvent(
    EventKind Kind,
    VerdictReason Reason,
    byte Direction,
    byte Family,
    byte Protocol,
    byte IcmpType,
    byte IcmpCode,
    DecidedBy DecidedBy,
    uint EndpointId,
    uint EndpointIdentity,
    uint PeerIdentity,
    uint Ifindex,
    IPAddress? Source,
    IPAddress? Destination,
    ushort SourcePort,
    ushort DestinationPort,
    uint PolicyCookie,
    byte PolicyPrefixLength,
    byte PolicyFlags,
    uint PacketLength,
    ulong Timestamp)
{
    public bool IsDrop => Reason.IsDrop();

    public string DirectionName => Direction == DatapathConstants.DirectionEgress ? "egress" : "ingress";

    public string ReasonText => Reason.Describe();

    public bool IsIcmp => Packets.ParsedPacket.IsIcmpOf(Family, Protocol);

    public string ProtocolName => DatapathNames.Protocol(Family, Protocol);

    /// <summary>The ICMP type's Cilium name (or nftables', or its number), from the policy API's tables; null when not ICMP.</summary>
    public string? IcmpTypeName => IsIcmp ? NameOf(Family == DatapathConstants.FamilyIPv6 ? IcmpFamily.IPv6 : IcmpFamily.IPv4, IcmpType) : null;

    /// <summary>The identity of the source and of the destination: in ingress the peer sends to the endpoint, in egress the other way.</summary>
    public (uint Source, uint Destination) Identities => Direction == DatapathConstants.DirectionEgress
        ? (EndpointIdentity, PeerIdentity)
        : (PeerIdentity, EndpointIdentity);

    /// <summary><c>DROPPED ingress  ICMPv4 EchoRequest  10.0.0.1 -> 10.0.0.2  identity 12345 -> 23456  reason: policy denied</c>.</summary>
    public override string ToString()
    {
        var verdict = IsDrop ? "DROPPED" : "ALLOWED";
        var what = IsIcmp
            ? $"{ProtocolName} {IcmpTypeName}{(IcmpCode != 0 ? $" code {IcmpCode}" : "")}"
            : ProtocolName;
        var ports = Protocol is IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Sctp;
        var flow = Family == 0
            ? "-"
            : $"{Endpoint(Source, ports ? SourcePort : null)} -> {Endpoint(Destination, ports ? DestinationPort : null)}";
        var (source, destination) = Identities;
        return $"{verdict} {DirectionName,-8} {what}  {flow}  identity {source} -> {destination}  reason: {ReasonText}";
    }

    private static string NameOf(IcmpFamily family, byte type) =>
        IcmpTypes.Find(family, type) is { } info ? info.CiliumName ?? info.NftName ?? $"type {type}" : $"type {type}";

    private static string Endpoint(IPAddress? address, ushort? port) => (address, port) switch
    {
        (null, _) => "?",
        (_, null) => address.ToString(),
        ({ AddressFamily: AddressFamily.InterNetworkV6 }, _) => $"[{address}]:{port}",
        _ => $"{address}:{port}",
    };
}
