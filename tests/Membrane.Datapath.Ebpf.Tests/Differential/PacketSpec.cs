using System.Net;
using Membrane.Datapath.Packets;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Ebpf.Tests.Differential;

/// <summary>
/// What one generated packet is, kept so that later packets can answer it: a reply swaps its ends, an ICMP error
/// embeds it, a later fragment continues its datagram.
/// </summary>
internal sealed record PacketSpec(IPAddress Source, IPAddress Destination, byte Protocol, ushort SourcePort, ushort DestinationPort)
{
    public byte IcmpType { get; init; }

    public byte IcmpCode { get; init; }

    public byte TcpFlags { get; init; } = PacketBuilder.TcpSyn;

    public byte HopLimit { get; init; } = 64;

    public int PayloadLength { get; init; }

    public bool IsIPv6 => Source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;

    public bool IsEcho => Protocol is IpProtocols.Icmp or IpProtocols.IcmpV6 &&
        IcmpType is DatapathConstants.Icmp4EchoRequest or DatapathConstants.Icmp4EchoReply or DatapathConstants.Icmp6EchoRequest or DatapathConstants.Icmp6EchoReply &&
        (Protocol == IpProtocols.Icmp) == IcmpType is DatapathConstants.Icmp4EchoRequest or DatapathConstants.Icmp4EchoReply;

    /// <summary>The same flow the other way: addresses and ports swapped, an echo request answered by a reply.</summary>
    public PacketSpec Reversed() => this with
    {
        Source = Destination,
        Destination = Source,
        SourcePort = DestinationPort,
        DestinationPort = SourcePort,
        IcmpType = IcmpType switch
        {
            DatapathConstants.Icmp4EchoRequest when Protocol == IpProtocols.Icmp => DatapathConstants.Icmp4EchoReply,
            DatapathConstants.Icmp6EchoRequest when Protocol == IpProtocols.IcmpV6 => DatapathConstants.Icmp6EchoReply,
            _ => IcmpType,
        },
        TcpFlags = PacketBuilder.TcpSyn | PacketBuilder.TcpAck,
    };

    public PacketBuilder ToBuilder()
    {
        var builder = PacketBuilder.Between(Source, Destination).HopLimit(HopLimit);
        builder = Protocol switch
        {
            IpProtocols.Tcp => builder.Tcp(SourcePort, DestinationPort, TcpFlags),
            IpProtocols.Udp => builder.Udp(SourcePort, DestinationPort),
            IpProtocols.Sctp => builder.Sctp(SourcePort, DestinationPort),
            IpProtocols.Icmp or IpProtocols.IcmpV6 when IsEcho => builder.Icmp(IcmpType, IcmpCode, (uint)SourcePort << 16 | 1),
            IpProtocols.Icmp or IpProtocols.IcmpV6 => builder.Icmp(IcmpType, IcmpCode),
            _ => builder.Protocol(Protocol),
        };
        return PayloadLength > 0 ? builder.Payload(new byte[PayloadLength]) : builder;
    }

    public override string ToString() =>
        $"{Source}:{SourcePort} -> {Destination}:{DestinationPort} proto {Protocol}" +
        (Protocol is IpProtocols.Icmp or IpProtocols.IcmpV6 ? $" type {IcmpType} code {IcmpCode}" : "") +
        (Protocol == IpProtocols.Tcp ? $" flags 0x{TcpFlags:x2}" : "");
}
