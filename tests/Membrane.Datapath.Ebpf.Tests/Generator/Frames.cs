using System.Buffers.Binary;
using System.Net;

namespace Membrane.Datapath.Ebpf.Tests.Generator;

/// <summary>Hand-built frames for test runs: Ethernet, IPv4 or IPv6, and an L4 header. Checksums are left zero; the
/// datapath does not read them.</summary>
internal static class Frames
{
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Icmp = 1;
    public const byte IcmpV6 = 58;
    public const byte TcpSyn = 0x02;
    public const byte TcpAck = 0x10;
    public const byte TcpFin = 0x01;

    public static byte[] Ethernet(ushort etherType, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[14 + payload.Length];
        frame.AsSpan(0, 6).Fill(0x02);
        frame.AsSpan(6, 6).Fill(0x04);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), etherType);
        payload.CopyTo(frame.AsSpan(14));
        return frame;
    }

    /// <summary>An IPv4 packet; <paramref name="fragment"/> is the flags-and-offset word (0x2000 = MF, offset in 8-byte units).</summary>
    public static byte[] IPv4(string source, string destination, byte protocol, ReadOnlySpan<byte> payload, ushort identification = 0, ushort fragment = 0, byte ttl = 64)
    {
        var packet = new byte[20 + payload.Length];
        packet[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), identification);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), fragment);
        packet[8] = ttl;
        packet[9] = protocol;
        IPAddress.Parse(source).GetAddressBytes().CopyTo(packet, 12);
        IPAddress.Parse(destination).GetAddressBytes().CopyTo(packet, 16);
        payload.CopyTo(packet.AsSpan(20));
        return packet;
    }

    public static byte[] IPv6(string source, string destination, byte nextHeader, ReadOnlySpan<byte> payload, byte hopLimit = 64)
    {
        var packet = new byte[40 + payload.Length];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)payload.Length);
        packet[6] = nextHeader;
        packet[7] = hopLimit;
        IPAddress.Parse(source).GetAddressBytes().CopyTo(packet, 8);
        IPAddress.Parse(destination).GetAddressBytes().CopyTo(packet, 24);
        payload.CopyTo(packet.AsSpan(40));
        return packet;
    }

    public static byte[] TcpHeader(ushort sourcePort, ushort destinationPort, byte flags = TcpSyn)
    {
        var header = new byte[20];
        BinaryPrimitives.WriteUInt16BigEndian(header, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), destinationPort);
        header[12] = 5 << 4;
        header[13] = flags;
        return header;
    }

    public static byte[] UdpHeader(ushort sourcePort, ushort destinationPort, int payloadLength = 0)
    {
        var header = new byte[8 + payloadLength];
        BinaryPrimitives.WriteUInt16BigEndian(header, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), destinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), (ushort)header.Length);
        return header;
    }

    /// <summary>An ICMP or ICMPv6 header: type, code, and the 4 bytes after the checksum (identifier and sequence for
    /// echo), then <paramref name="body"/>.</summary>
    public static byte[] IcmpHeader(byte type, byte code, ushort identifier = 0, ReadOnlySpan<byte> body = default)
    {
        var header = new byte[8 + body.Length];
        header[0] = type;
        header[1] = code;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), identifier);
        body.CopyTo(header.AsSpan(8));
        return header;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(part => part).ToArray();

    public static byte[] TcpV4(string source, string destination, ushort sourcePort, ushort destinationPort, byte flags = TcpSyn) =>
        Ethernet(0x0800, IPv4(source, destination, Tcp, TcpHeader(sourcePort, destinationPort, flags)));

    public static byte[] EchoV4(string source, string destination, byte type, ushort identifier) =>
        Ethernet(0x0800, IPv4(source, destination, Icmp, IcmpHeader(type, 0, identifier)));
}
