using Membrane.Datapath.Layout;
using Membrane.Policy.Icmp;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Packets;

/// <summary>
/// What <see cref="PacketParser"/> read from a frame: the facts the per-packet path decides by. A plain struct of
/// fields, like the map layouts, so parsing allocates nothing.
/// </summary>
public struct ParsedPacket
{
    /// <summary><see cref="DatapathConstants.FamilyIPv4"/> or <see cref="DatapathConstants.FamilyIPv6"/> by EtherType; 0 when the frame is not IP.</summary>
    public byte Family;

    /// <summary>
    /// The IP protocol, read as soon as the fixed IP header is present (before it is validated, so a malformed packet
    /// still counts under its protocol); for IPv6 each extension header walked replaces it with the next header it names.
    /// </summary>
    public byte Protocol;

    /// <summary>IPv4 TTL or IPv6 hop limit.</summary>
    public byte HopLimit;

    public IpAddress16 Source;
    public IpAddress16 Destination;

    /// <summary>Host order. TCP, UDP and SCTP ports; for ICMP echo both are the identifier; otherwise 0.</summary>
    public ushort SourcePort;
    public ushort DestinationPort;

    public byte IcmpType;
    public byte IcmpCode;
    public byte TcpFlags;

    public bool IsFragment;

    /// <summary>Whether an IPv6 fragment header was walked, an atomic one (RFC 6946) included.</summary>
    public bool HasFragmentHeader;

    /// <summary>A fragment with a non-zero offset: it has no L4 header, which stays unparsed.</summary>
    public bool IsLaterFragment;

    /// <summary>IPv4's 16-bit identification, or the 32-bit one of the last IPv6 fragment header walked (0 without one).</summary>
    public uint FragmentId;

    /// <summary>The flow an ICMP error carries; only for the error types of docs/datapath.md §4.</summary>
    public EmbeddedFlow Embedded;

    public readonly bool IsFirstFragment => IsFragment && !IsLaterFragment;

    /// <summary>Whether the L4 protocol is the ICMP of the packet's own family (ICMP in IPv4, ICMPv6 in IPv6).</summary>
    public readonly bool IsIcmp => IsIcmpOf(Family, Protocol);

    // A later fragment has no ICMP header: its type 0 is "unread", not Echo Reply.
    public readonly bool IsEchoRequest => IsIcmp && !IsLaterFragment && IcmpType == (Family == DatapathConstants.FamilyIPv4 ? DatapathConstants.Icmp4EchoRequest : DatapathConstants.Icmp6EchoRequest);

    public readonly bool IsEchoReply => IsIcmp && !IsLaterFragment && IcmpType == (Family == DatapathConstants.FamilyIPv4 ? DatapathConstants.Icmp4EchoReply : DatapathConstants.Icmp6EchoReply);

    public readonly bool IsIcmpError => IsIcmp && !IsLaterFragment && IsErrorType(Family, IcmpType);

    public readonly bool HasPorts => Protocol is IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Sctp;

    /// <summary>
    /// The value the policy key holds in the port's place: the destination port for TCP, UDP and SCTP, ICMP
    /// <c>type &lt;&lt; 8 | code</c> for the family's ICMP, 0 for every other protocol.
    /// </summary>
    public readonly ushort L4Value => HasPorts ? DestinationPort : IsIcmp ? IcmpKeyValue.Of(IcmpType, IcmpCode) : (ushort)0;

    public static bool IsIcmpOf(byte family, byte protocol) =>
        (family == DatapathConstants.FamilyIPv4 && protocol == IpProtocols.Icmp) || (family == DatapathConstants.FamilyIPv6 && protocol == IpProtocols.IcmpV6);

    public static bool IsEchoType(byte family, byte type) => family == DatapathConstants.FamilyIPv4
        ? type is DatapathConstants.Icmp4EchoRequest or DatapathConstants.Icmp4EchoReply
        : type is DatapathConstants.Icmp6EchoRequest or DatapathConstants.Icmp6EchoReply;

    /// <summary>The ICMP errors that carry the header of the packet that caused them (RFC 792, RFC 4443 §3).</summary>
    public static bool IsErrorType(byte family, byte type) => family == DatapathConstants.FamilyIPv4
        ? type is DatapathConstants.Icmp4DestinationUnreachable or DatapathConstants.Icmp4TimeExceeded or DatapathConstants.Icmp4ParameterProblem
        : type is DatapathConstants.Icmp6DestinationUnreachable or DatapathConstants.Icmp6PacketTooBig or DatapathConstants.Icmp6TimeExceeded or DatapathConstants.Icmp6ParameterProblem;
}
