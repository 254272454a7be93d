using System.Buffers.Binary;
using Membrane.Datapath.Packets;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Tests.Packets;

/// <summary>The builder's frames are real packets: lengths, next-header chains and checksums a kernel would accept.</summary>
public sealed class PacketBuilderTests
{
    private const int L3 = 14;

    private static uint Sum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (data.Length % 2 == 1)
        {
            sum += (uint)data[^1] << 8;
        }

        return sum;
    }

    private static ushort Fold(uint sum)
    {
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)sum;
    }

    [Fact]
    public void IPv4_header_and_TCP_checksums_verify()
    {
        var frame = PacketBuilder.Between("10.0.0.1", "10.0.0.2").IPv4Options([1, 1, 1, 1]).Tcp(1234, 80).Payload([1, 2, 3]).Build();
        var ip = frame.AsSpan(L3);
        Assert.Equal(0xFFFF, Fold(Sum(ip[..24])));
        Assert.Equal(ip.Length, BinaryPrimitives.ReadUInt16BigEndian(ip[2..]));
        var segment = ip[24..];
        var pseudo = Sum(ip.Slice(12, 8)) + IpProtocols.Tcp + (uint)segment.Length;
        Assert.Equal(0xFFFF, Fold(pseudo + Sum(segment)));
    }

    [Fact]
    public void ICMPv4_checksum_has_no_pseudo_header_and_ICMPv6_has_one()
    {
        var v4 = PacketBuilder.Between("10.0.0.1", "10.0.0.2").EchoRequest(7).Payload([9, 9, 9]).Build().AsSpan(L3 + 20);
        Assert.Equal(0xFFFF, Fold(Sum(v4)));

        var frame = PacketBuilder.Between("fd00::1", "fd00::2").ExtensionHeader(60).EchoRequest(7).Build();
        var ip = frame.AsSpan(L3);
        var message = ip[48..];
        var pseudo = Sum(ip.Slice(8, 32)) + IpProtocols.IcmpV6 + (uint)message.Length;
        Assert.Equal(0xFFFF, Fold(pseudo + Sum(message)));
    }

    [Fact]
    public void UDP_over_IPv6_has_its_length_and_checksum()
    {
        var ip = PacketBuilder.Between("fd00::1", "fd00::2").Udp(1, 53).Payload(new byte[5]).Build().AsSpan(L3);
        var datagram = ip[40..];
        Assert.Equal(13, BinaryPrimitives.ReadUInt16BigEndian(datagram[4..]));
        var pseudo = Sum(ip.Slice(8, 32)) + IpProtocols.Udp + (uint)datagram.Length;
        Assert.Equal(0xFFFF, Fold(pseudo + Sum(datagram)));
    }

    [Fact]
    public void Extension_headers_chain_their_next_headers_to_the_L4_protocol()
    {
        var ip = PacketBuilder.Between("fd00::1", "fd00::2").ExtensionHeader(0).ExtensionHeader(43, 16).Fragment(9, 0, true).Sctp(1, 2).Build().AsSpan(L3);
        Assert.Equal(0, ip[6]);
        Assert.Equal(43, ip[40]);
        Assert.Equal(0, ip[41]);
        Assert.Equal(1, ip[49]);
        Assert.Equal(44, ip[48]);
        Assert.Equal(IpProtocols.Sctp, ip[64]);
        Assert.Equal(1, BinaryPrimitives.ReadUInt16BigEndian(ip[66..]) & 1);
        Assert.Equal(9u, BinaryPrimitives.ReadUInt32BigEndian(ip[68..]));
        Assert.Equal(ip.Length - 40, BinaryPrimitives.ReadUInt16BigEndian(ip[4..]));
    }

    [Fact]
    public void A_later_fragment_carries_payload_only_and_its_offset()
    {
        var ip = PacketBuilder.Between("10.0.0.1", "10.0.0.2").Tcp(1, 2).Payload(new byte[24]).Fragment(77, 1480, more: true).Build().AsSpan(L3);
        Assert.Equal(20 + 24, ip.Length);
        Assert.Equal(77, BinaryPrimitives.ReadUInt16BigEndian(ip[4..]));
        Assert.Equal(0x2000 | (1480 / 8), BinaryPrimitives.ReadUInt16BigEndian(ip[6..]));
    }

    [Fact]
    public void An_error_embeds_the_invoking_packet_cut_to_its_length()
    {
        var invoking = PacketBuilder.Between("10.0.0.2", "192.0.2.9").Tcp(1, 2).Payload(new byte[100]);
        var ip = PacketBuilder.Between("192.0.2.1", "10.0.0.2").IcmpError(3, 4, invoking, 1400, embeddedLength: 28).Build().AsSpan(L3);
        Assert.Equal(20 + 8 + 28, ip.Length);
        Assert.Equal(1400u, BinaryPrimitives.ReadUInt32BigEndian(ip[24..]));
        Assert.True(ip[28..56].SequenceEqual(invoking.BuildIp().AsSpan(0, 28)));
    }
}
