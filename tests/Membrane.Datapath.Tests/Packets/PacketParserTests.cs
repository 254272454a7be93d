using System.Buffers.Binary;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Packets;
using Membrane.Policy.Icmp;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Tests.Packets;

/// <summary>docs/datapath.md §2 step 2, one rule per test: every reason, the walks, the fragments, the embedded flow.</summary>
public sealed class PacketParserTests
{
    private const int L3 = 14;
    private const int L4v4 = 34;

    private static PacketBuilder V4 => PacketBuilder.Between("10.0.0.1", "10.0.0.2");

    private static PacketBuilder V6 => PacketBuilder.Between("fd00::1", "fd00::2");

    private static (VerdictReason Reason, ParsedPacket Packet) Parse(byte[] frame) =>
        (PacketParser.TryParse(frame, out var packet), packet);

    private static byte[] With(byte[] frame, Action<byte[]> change)
    {
        var copy = (byte[])frame.Clone();
        change(copy);
        return copy;
    }

    [Fact]
    public void Tcp_over_IPv4_gives_ports_flags_and_the_destination_port_as_policy_value()
    {
        var (reason, packet) = Parse(V4.Tcp(40000, 443, PacketBuilder.TcpSyn | PacketBuilder.TcpAck).HopLimit(61).Build());
        Assert.Equal(VerdictReason.None, reason);
        Assert.Equal(DatapathConstants.FamilyIPv4, packet.Family);
        Assert.Equal(IpProtocols.Tcp, packet.Protocol);
        Assert.Equal(61, packet.HopLimit);
        Assert.Equal((40000, 443), (packet.SourcePort, packet.DestinationPort));
        Assert.Equal(PacketBuilder.TcpSyn | PacketBuilder.TcpAck, packet.TcpFlags);
        Assert.Equal(443, packet.L4Value);
        Assert.Equal("10.0.0.1", packet.Source.ToAddress(4).ToString());
        Assert.Equal("10.0.0.2", packet.Destination.ToAddress(4).ToString());
        Assert.False(packet.IsFragment);
    }

    [Theory]
    [InlineData("udp", IpProtocols.Udp)]
    [InlineData("sctp", IpProtocols.Sctp)]
    public void Udp_and_sctp_give_ports(string kind, byte protocol)
    {
        foreach (var builder in new[] { V4, V6 })
        {
            var frame = (kind == "udp" ? builder.Udp(5353, 53) : builder.Sctp(5353, 53)).Build();
            var (reason, packet) = Parse(frame);
            Assert.Equal(VerdictReason.None, reason);
            Assert.Equal(protocol, packet.Protocol);
            Assert.Equal((5353, 53), (packet.SourcePort, packet.DestinationPort));
            Assert.Equal(53, packet.L4Value);
        }
    }

    [Fact]
    public void Echo_gives_the_identifier_as_both_ports_and_type_code_as_policy_value()
    {
        var (reason, packet) = Parse(V4.EchoRequest(0x1234).Build());
        Assert.Equal(VerdictReason.None, reason);
        Assert.True(packet.IsEchoRequest);
        Assert.Equal((0x1234, 0x1234), (packet.SourcePort, packet.DestinationPort));
        Assert.Equal(IcmpKeyValue.Of(8, 0), packet.L4Value);

        (reason, packet) = Parse(V6.EchoReply(7).Build());
        Assert.Equal(VerdictReason.None, reason);
        Assert.True(packet.IsEchoReply);
        Assert.Equal(IpProtocols.IcmpV6, packet.Protocol);
        Assert.Equal((7, 7), (packet.SourcePort, packet.DestinationPort));
        Assert.Equal(IcmpKeyValue.Of(129, 0), packet.L4Value);
    }

    [Fact]
    public void Other_icmp_has_no_ports_and_its_code_in_the_value()
    {
        var (reason, packet) = Parse(V4.Icmp(13, 0, 0xDEADBEEF).Build());
        Assert.Equal(VerdictReason.None, reason);
        Assert.Equal((0, 0), (packet.SourcePort, packet.DestinationPort));
        Assert.Equal(IcmpKeyValue.Of(13, 0), packet.L4Value);
        Assert.False(packet.Embedded.Valid);
    }

    [Fact]
    public void Icmpv4_inside_IPv6_is_another_protocol_with_no_ports_and_value_zero()
    {
        var frame = V6.Protocol(IpProtocols.Icmp).Payload([8, 0, 0, 0, 0x12, 0x34, 0, 1]).Build();
        var (reason, packet) = Parse(frame);
        Assert.Equal(VerdictReason.None, reason);
        Assert.False(packet.IsIcmp);
        Assert.Equal((0, 0, 0), (packet.SourcePort, packet.IcmpType, packet.L4Value));
    }

    [Fact]
    public void Other_protocols_have_no_ports()
    {
        var (reason, packet) = Parse(V4.Protocol(47).Payload([1, 2, 3, 4, 5, 6, 7, 8]).Build());
        Assert.Equal(VerdictReason.None, reason);
        Assert.Equal(47, packet.Protocol);
        Assert.Equal((0, 0, 0), (packet.SourcePort, packet.DestinationPort, packet.L4Value));
    }

    [Theory]
    [InlineData(DatapathConstants.EtherTypeArp, VerdictReason.NotIp)]
    [InlineData(0x88CC, VerdictReason.NotIp)]
    [InlineData(DatapathConstants.EtherTypeVlan, VerdictReason.UnsupportedEncapsulation)]
    [InlineData(DatapathConstants.EtherTypeQinQ, VerdictReason.UnsupportedEncapsulation)]
    public void EtherTypes_other_than_IP_pass_or_drop(ushort etherType, VerdictReason expected)
    {
        var (reason, packet) = Parse(V4.Tcp(1, 2).EtherType(etherType).Build());
        Assert.Equal(expected, reason);
        Assert.Equal(0, packet.Family);
    }

    [Fact]
    public void A_frame_shorter_than_Ethernet_is_truncated()
    {
        Assert.Equal(VerdictReason.Truncated, Parse(new byte[13]).Reason);
        Assert.Equal(VerdictReason.Truncated, Parse([]).Reason);
    }

    [Fact]
    public void IPv4_options_are_skipped_by_IHL()
    {
        // Record route (RFC 791): type 7, length 11, pointer 4, two empty slots; padded to 12 bytes.
        var frame = V4.IPv4Options([7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0]).Udp(1000, 2000).Build();
        Assert.Equal(0x40 | 8, frame[L3]);
        var (reason, packet) = Parse(frame);
        Assert.Equal(VerdictReason.None, reason);
        Assert.Equal((1000, 2000), (packet.SourcePort, packet.DestinationPort));
    }

    [Theory]
    [InlineData(0x50, "version 5")]
    [InlineData(0x44, "IHL 4")]
    [InlineData(0x60, "version 6 in an IPv4 EtherType")]
    public void A_wrong_IPv4_version_or_IHL_is_malformed(byte versionAndIhl, string why)
    {
        var frame = With(V4.Udp(1, 2).Build(), f => f[L3] = versionAndIhl);
        var (reason, packet) = Parse(frame);
        Assert.True(reason == VerdictReason.MalformedIpHeader, why);
        Assert.Equal((4, IpProtocols.Udp), (packet.Family, packet.Protocol));
    }

    [Fact]
    public void An_IPv4_total_length_below_the_header_is_malformed_and_beyond_the_packet_truncated()
    {
        var frame = V4.Udp(1, 2).Build();
        Assert.Equal(VerdictReason.MalformedIpHeader, Parse(With(frame, f => BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(L3 + 2), 19))).Reason);
        Assert.Equal(VerdictReason.Truncated, Parse(With(frame, f => BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(L3 + 2), (ushort)(f.Length - L3 + 1)))).Reason);
        // IHL 15 and total length 60 on a 28-byte datagram: the header runs past the packet.
        Assert.Equal(VerdictReason.Truncated, Parse(With(frame, f =>
        {
            f[L3] = 0x4F;
            BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(L3 + 2), 60);
        })).Reason);
        // A header longer than the total length is malformed even when both lie beyond the packet: the malformed checks
        // read only the fixed header and come first.
        Assert.Equal(VerdictReason.MalformedIpHeader, Parse(With(frame, f => f[L3] = 0x4F)).Reason);
    }

    [Fact]
    public void Ethernet_padding_is_not_part_of_the_datagram()
    {
        // A 20-byte IPv4 header and 4 bytes of UDP, padded by Ethernet to 60 bytes: the UDP header is still short.
        var frame = V4.Protocol(IpProtocols.Udp).Payload([0, 1, 0, 2]).Build();
        var padded = new byte[60];
        frame.CopyTo(padded, 0);
        Assert.Equal(VerdictReason.Truncated, Parse(padded).Reason);
        var whole = new byte[60];
        V4.Udp(1, 2).Build().CopyTo(whole, 0);
        Assert.Equal(VerdictReason.None, Parse(whole).Reason);
    }

    [Fact]
    public void A_TCP_data_offset_below_5_is_a_malformed_L4_header()
    {
        var frame = With(V4.Tcp(1, 2).Build(), f => f[L4v4 + 12] = 4 << 4);
        Assert.Equal(VerdictReason.MalformedL4Header, Parse(frame).Reason);
    }

    [Fact]
    public void IPv6_wrong_version_is_malformed_and_a_long_payload_length_truncated()
    {
        var frame = V6.Udp(1, 2).Build();
        var (reason, packet) = Parse(With(frame, f => f[L3] = 0x40));
        Assert.Equal(VerdictReason.MalformedIpHeader, reason);
        Assert.Equal((6, IpProtocols.Udp), (packet.Family, packet.Protocol));
        Assert.Equal(VerdictReason.Truncated, Parse(With(frame, f => BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(L3 + 4), 9))).Reason);
    }

    [Fact]
    public void IPv6_payload_length_zero_runs_to_the_end_of_the_packet()
    {
        var frame = With(V6.Tcp(1, 80).Build(), f => BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(L3 + 4), 0));
        var (reason, packet) = Parse(frame);
        Assert.Equal(VerdictReason.None, reason);
        Assert.Equal(80, packet.DestinationPort);
    }

    [Theory]
    [InlineData(DatapathConstants.NextHeaderHopByHop, 8)]
    [InlineData(DatapathConstants.NextHeaderRouting, 24)]
    [InlineData(DatapathConstants.NextHeaderDestinationOptions, 16)]
    [InlineData(DatapathConstants.NextHeaderAuthentication, 12)]
    [InlineData(DatapathConstants.NextHeaderAuthentication, 24)]
    public void Each_extension_header_kind_is_walked_by_its_length(byte type, int length)
    {
        var (reason, packet) = Parse(V6.ExtensionHeader(type, length).Tcp(1, 22).Build());
        Assert.Equal(VerdictReason.None, reason);
        Assert.Equal((IpProtocols.Tcp, 22), (packet.Protocol, packet.DestinationPort));
    }

    [Fact]
    public void Four_extension_headers_are_walked_and_a_fifth_is_too_many()
    {
        var four = V6.ExtensionHeader(0).ExtensionHeader(60).ExtensionHeader(43).ExtensionHeader(51, 12).Udp(1, 53);
        var (reason, packet) = Parse(four.Build());
        Assert.Equal(VerdictReason.None, reason);
        Assert.Equal(53, packet.DestinationPort);

        var five = V6.ExtensionHeader(0).ExtensionHeader(60).ExtensionHeader(43).ExtensionHeader(51, 12).ExtensionHeader(60).Udp(1, 53);
        (reason, packet) = Parse(five.Build());
        Assert.Equal(VerdictReason.TooManyExtensionHeaders, reason);
        // The protocol is the fifth header's type, the next header the fourth names: counters see what was walked.
        Assert.Equal(60, packet.Protocol);
    }

    [Fact]
    public void An_extension_header_beyond_the_datagram_is_truncated()
    {
        var frame = V6.ExtensionHeader(60, 16).Udp(1, 2).Build();
        // Claim 24 bytes for a 16-byte header followed by 8 of UDP: it ends past the datagram.
        Assert.Equal(VerdictReason.Truncated, Parse(With(frame, f => f[L3 + 40 + 1] = 3)).Reason);
    }

    [Fact]
    public void IPv4_fragments_first_and_later()
    {
        var (reason, packet) = Parse(V4.EchoRequest(9).Payload(new byte[64]).Fragment(0xBEEF, 0, more: true).Build());
        Assert.Equal(VerdictReason.None, reason);
        Assert.True(packet.IsFragment && packet.IsFirstFragment && !packet.IsLaterFragment);
        Assert.Equal((0xBEEFu, 9), (packet.FragmentId, packet.SourcePort));

        (reason, packet) = Parse(V4.EchoRequest(9).Payload(new byte[64]).Fragment(0xBEEF, 1480, more: false).Build());
        Assert.Equal(VerdictReason.None, reason);
        Assert.True(packet.IsLaterFragment && !packet.IsFirstFragment);
        Assert.Equal((0xBEEFu, IpProtocols.Icmp, 0, 0), (packet.FragmentId, packet.Protocol, packet.IcmpType, packet.SourcePort));
    }

    [Fact]
    public void A_later_fragment_too_short_for_an_L4_header_is_not_truncated()
    {
        var (reason, packet) = Parse(V4.Tcp(1, 2).Payload([1, 2, 3]).Fragment(5, 8, more: false).Build());
        Assert.Equal(VerdictReason.None, reason);
        Assert.True(packet.IsLaterFragment);
    }

    [Fact]
    public void IPv6_fragment_header_first_later_and_atomic()
    {
        var (reason, packet) = Parse(V6.EchoRequest(3).Fragment(0xCAFEF00D, 0, more: true).Build());
        Assert.Equal(VerdictReason.None, reason);
        Assert.True(packet.IsFirstFragment);
        Assert.Equal((0xCAFEF00Du, IpProtocols.IcmpV6, (byte)128), (packet.FragmentId, packet.Protocol, packet.IcmpType));

        (reason, packet) = Parse(V6.ExtensionHeader(0).EchoRequest(3).Payload(new byte[16]).Fragment(0xCAFEF00D, 1232, more: true).Build());
        Assert.Equal(VerdictReason.None, reason);
        Assert.True(packet.IsLaterFragment);
        Assert.Equal((0xCAFEF00Du, IpProtocols.IcmpV6, (byte)0), (packet.FragmentId, packet.Protocol, packet.IcmpType));

        // RFC 6946: offset 0 and M clear is an atomic fragment, a whole datagram.
        (reason, packet) = Parse(V6.Udp(1, 2).Fragment(77, 0, more: false).Build());
        Assert.Equal(VerdictReason.None, reason);
        Assert.False(packet.IsFragment);
        Assert.Equal((IpProtocols.Udp, 2), (packet.Protocol, packet.DestinationPort));
    }

    [Fact]
    public void The_last_fragment_header_walked_decides()
    {
        // A first fragment's header followed by an atomic one: the atomic one is last, so the packet is whole.
        var (reason, packet) = Parse(V6.Fragment(5, 0, more: true).Fragment(6, 0, more: false).Udp(1, 2).Build());
        Assert.Equal(VerdictReason.None, reason);
        Assert.False(packet.IsFragment);
        Assert.Equal(6u, packet.FragmentId);

        (reason, packet) = Parse(V6.Fragment(5, 0, more: false).Fragment(6, 0, more: true).Udp(1, 2).Build());
        Assert.Equal(VerdictReason.None, reason);
        Assert.True(packet.IsFirstFragment);
        Assert.Equal(6u, packet.FragmentId);
    }

    [Fact]
    public void A_later_IPv6_fragment_ends_the_walk_before_a_fifth_header()
    {
        var frame = V6.ExtensionHeader(0).ExtensionHeader(60).ExtensionHeader(43).Fragment(1, 8, more: false)
            .ExtensionHeader(60).Udp(1, 2).Build();
        var (reason, packet) = Parse(frame);
        Assert.Equal(VerdictReason.None, reason);
        Assert.True(packet.IsLaterFragment);
        Assert.Equal(60, packet.Protocol);
    }

    [Fact]
    public void An_ICMPv4_error_carries_the_embedded_flow()
    {
        var invoking = PacketBuilder.Between("10.0.0.2", "192.0.2.9").IPv4Options([1, 1, 1, 1]).Tcp(43210, 443);
        var frame = PacketBuilder.Between("198.51.100.1", "10.0.0.2").IcmpError(3, 4, invoking, 1400, embeddedLength: 24 + 8).Build();
        var (reason, packet) = Parse(frame);
        Assert.Equal(VerdictReason.None, reason);
        Assert.True(packet.IsIcmpError);
        Assert.True(packet.Embedded.Valid);
        Assert.Equal((IpProtocols.Tcp, 43210, 443), (packet.Embedded.Protocol, packet.Embedded.SourcePort, packet.Embedded.DestinationPort));
        Assert.Equal("10.0.0.2", packet.Embedded.Source.ToAddress(4).ToString());
        Assert.Equal("192.0.2.9", packet.Embedded.Destination.ToAddress(4).ToString());
        Assert.Equal(IcmpKeyValue.Of(3, 4), packet.L4Value);
    }

    [Fact]
    public void An_ICMPv6_error_carries_an_embedded_echo()
    {
        var invoking = PacketBuilder.Between("fd00::2", "2001:db8::9").EchoRequest(4242);
        var (reason, packet) = Parse(PacketBuilder.Between("2001:db8::1", "fd00::2").IcmpError(2, 0, invoking, 1280).Build());
        Assert.Equal(VerdictReason.None, reason);
        Assert.True(packet.Embedded.Valid);
        Assert.Equal((IpProtocols.IcmpV6, (byte)128, 4242, 4242),
            (packet.Embedded.Protocol, packet.Embedded.IcmpType, packet.Embedded.SourcePort, packet.Embedded.DestinationPort));
    }

    [Fact]
    public void An_embedded_header_that_does_not_read_is_not_valid_but_the_error_still_parses()
    {
        var invoking = PacketBuilder.Between("10.0.0.2", "192.0.2.9").Udp(1, 2);
        var cases = new Dictionary<string, byte[]>
        {
            ["only the IP header"] = PacketBuilder.Between("192.0.2.9", "10.0.0.2").IcmpError(3, 3, invoking, embeddedLength: 20 + 4).Build(),
            ["an IPv6 header in ICMPv4"] = PacketBuilder.Between("192.0.2.9", "10.0.0.2").IcmpError(3, 3, PacketBuilder.Between("fd00::2", "fd00::9").Udp(1, 2)).Build(),
            ["a later fragment"] = PacketBuilder.Between("192.0.2.9", "10.0.0.2").IcmpError(11, 1, PacketBuilder.Between("10.0.0.2", "192.0.2.9").Udp(1, 2).Payload(new byte[8]).Fragment(1, 8, false)).Build(),
            ["an embedded GRE packet"] = PacketBuilder.Between("192.0.2.9", "10.0.0.2").IcmpError(3, 3, PacketBuilder.Between("10.0.0.2", "192.0.2.9").Protocol(47).Payload(new byte[8])).Build(),
            ["no body"] = PacketBuilder.Between("192.0.2.9", "10.0.0.2").Icmp(3, 3).Build(),
        };
        foreach (var (why, frame) in cases)
        {
            var (reason, packet) = Parse(frame);
            Assert.True(reason == VerdictReason.None, why);
            Assert.True(!packet.Embedded.Valid, why);
        }
    }

    [Fact]
    public void Truncated_L4_headers()
    {
        Assert.Equal(VerdictReason.Truncated, Parse(V4.Protocol(IpProtocols.Tcp).Payload(new byte[19]).Build()).Reason);
        Assert.Equal(VerdictReason.Truncated, Parse(V6.Protocol(IpProtocols.Udp).Payload(new byte[7]).Build()).Reason);
        Assert.Equal(VerdictReason.Truncated, Parse(V4.Protocol(IpProtocols.Sctp).Payload(new byte[11]).Build()).Reason);
        Assert.Equal(VerdictReason.Truncated, Parse(V6.Protocol(IpProtocols.IcmpV6).Payload(new byte[7]).Build()).Reason);
        Assert.Equal(VerdictReason.Truncated, Parse(V4.Protocol(IpProtocols.Icmp).Payload(new byte[7]).Build()).Reason);
    }

    public static TheoryData<string> ValidPackets() => [.. Valid.Keys];

    private static readonly Dictionary<string, byte[]> Valid = new()
    {
        ["v4 tcp"] = V4.Tcp(1, 2).Build(),
        ["v4 options udp"] = V4.IPv4Options([1, 1, 1, 1, 1, 1, 1, 1]).Udp(1, 2).Build(),
        ["v4 echo"] = V4.EchoRequest(1).Build(),
        ["v4 error"] = PacketBuilder.Between("192.0.2.1", "10.0.0.1").IcmpError(3, 4, V4.Tcp(5, 6)).Build(),
        ["v6 sctp"] = V6.Sctp(1, 2).Build(),
        ["v6 four headers"] = V6.ExtensionHeader(0).ExtensionHeader(60, 16).ExtensionHeader(43).ExtensionHeader(51, 12).Tcp(1, 2).Build(),
        ["v6 first fragment"] = V6.ExtensionHeader(0).Fragment(9, 0, true).Udp(1, 2).Build(),
        ["v6 error"] = PacketBuilder.Between("2001:db8::1", "fd00::1").IcmpError(1, 4, V6.Udp(5, 6)).Build(),
    };

    /// <summary>Every prefix of a valid packet, cut at each length, parses without an exception and never as None with its full facts.</summary>
    [Theory]
    [MemberData(nameof(ValidPackets))]
    public void Truncating_a_valid_packet_at_every_length_never_throws(string name)
    {
        var frame = Valid[name];
        Assert.Equal(VerdictReason.None, Parse(frame).Reason);
        for (var length = 0; length < frame.Length; length++)
        {
            var reason = PacketParser.TryParse(frame.AsSpan(0, length), out _);
            // The IP length fields still claim the whole packet, so every cut is truncated.
            Assert.True(reason == VerdictReason.Truncated, $"{name} cut at {length}: {reason}");
        }
    }
}
