using System.Runtime.InteropServices;
using Membrane.Datapath.Events;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Packets;
using Membrane.Datapath.Tests.Twin;
using Membrane.Datapath.Twin;

namespace Membrane.Datapath.Tests.Events;

public sealed class EventDecoderTests
{
    private static byte[] Bytes(EventRecord record) => MemoryMarshal.AsBytes(new ReadOnlySpan<EventRecord>(in record)).ToArray();

    /// <summary>An event as the twin offers it, for a packet on a one-endpoint world with the given policy lines.</summary>
    private static EventRecord EventOf(byte[] frame, byte direction, params string[] policy)
    {
        var maps = new TwinMaps();
        var endpoint = new EndpointConfig { EndpointId = 5, Identity = 23456, PolicyId = EndpointConfig.PolicyIdOf(5, 1), Flags = EndpointConfig.FlagIngressDefaultDeny }
            .WithAddresses(System.Net.IPAddress.Parse("10.0.0.2"), System.Net.IPAddress.Parse("fd00::2"));
        maps.SetEndpoint(3, endpoint);
        maps.SetIpcache(System.Net.IPNetwork.Parse("10.0.0.1/32"), 12345);
        maps.SetIpcache(System.Net.IPNetwork.Parse("fd00::1/128"), 12345);
        foreach (var line in policy)
        {
            var (key, value) = ScenarioWorld.ParsePolicy(line, endpoint.PolicyId);
            maps.UpsertPolicy(key, value);
        }

        maps.Config = DatapathConfig.Default with { Flags = DatapathConfig.FlagEmitAllowEvents };
        var verdict = new DatapathTwin(maps).Process(frame, 3, direction, 5_000_000_000);
        Assert.True(verdict.EventSent);
        return verdict.Event!.Value;
    }

    [Fact]
    public void A_policy_drop_reads_as_one_line()
    {
        var record = EventOf(PacketBuilder.Between("10.0.0.1", "10.0.0.2").EchoRequest(9).Build(), DatapathConstants.DirectionIngress,
            "ingress 12345 ICMP type 8 deny cookie 4242");
        Assert.True(EventDecoder.TryDecode(Bytes(record), out var decoded));
        Assert.Equal("DROPPED ingress  ICMPv4 EchoRequest  10.0.0.1 -> 10.0.0.2  identity 12345 -> 23456  reason: policy denied", decoded.ToString());
        Assert.Equal((EventKind.Drop, DecidedBy.PeerEntry, 4242u, (byte)8, PolicyMapValue.FlagDeny), (decoded.Kind, decoded.DecidedBy, decoded.PolicyCookie, decoded.PolicyPrefixLength, decoded.PolicyFlags));
        Assert.Equal((5u, 23456u, 12345u, 3u), (decoded.EndpointId, decoded.EndpointIdentity, decoded.PeerIdentity, decoded.Ifindex));
        Assert.Equal((uint)PacketBuilder.Between("10.0.0.1", "10.0.0.2").EchoRequest(9).Build().Length, decoded.PacketLength);
        Assert.Equal(5_000_000_000ul, decoded.Timestamp);
        Assert.Equal("EchoRequest", decoded.IcmpTypeName);
    }

    [Fact]
    public void An_allowed_egress_flow_with_ports_and_IPv6_brackets()
    {
        var record = EventOf(PacketBuilder.Between("fd00::2", "fd00::1").Tcp(40000, 443).Build(), DatapathConstants.DirectionEgress);
        Assert.True(EventDecoder.TryDecode(Bytes(record), out var decoded));
        Assert.Equal("ALLOWED egress   TCP  [fd00::2]:40000 -> [fd00::1]:443  identity 23456 -> 12345  reason: allowed by default", decoded.ToString());
        Assert.Equal((EventKind.PolicyVerdict, DecidedBy.Default, 0u), (decoded.Kind, decoded.DecidedBy, decoded.PolicyCookie));
    }

    [Fact]
    public void ICMP_codes_and_unnamed_types_are_shown()
    {
        var record = EventOf(PacketBuilder.Between("10.0.0.1", "10.0.0.2").Icmp(3, 13).Build(), DatapathConstants.DirectionIngress);
        Assert.True(EventDecoder.TryDecode(Bytes(record), out var decoded));
        Assert.Equal("DROPPED ingress  ICMPv4 DestinationUnreachable code 13  10.0.0.1 -> 10.0.0.2  identity 12345 -> 23456  reason: denied by default", decoded.ToString());

        record = EventOf(PacketBuilder.Between("fd00::1", "fd00::2").Icmp(200).Build(), DatapathConstants.DirectionIngress);
        Assert.True(EventDecoder.TryDecode(Bytes(record), out decoded));
        Assert.Equal("type 200", decoded.IcmpTypeName);
        Assert.Equal("ICMPv6", decoded.ProtocolName);
    }

    [Fact]
    public void A_drop_before_parsing_has_no_addresses()
    {
        var maps = new TwinMaps();
        var verdict = new DatapathTwin(maps).Process(PacketBuilder.Between("10.0.0.1", "10.0.0.2").Udp(1, 2).Build(), 77, DatapathConstants.DirectionIngress, 2_000_000_000);
        Assert.True(EventDecoder.TryDecode(Bytes(verdict.Event!.Value), out var decoded));
        Assert.Null(decoded.Source);
        Assert.Equal("DROPPED ingress  non-IP  -  identity 0 -> 0  reason: unknown endpoint", decoded.ToString());
        Assert.Equal(77u, decoded.Ifindex);
    }

    [Fact]
    public void A_short_record_does_not_decode_and_a_longer_one_reads_its_first_80_bytes()
    {
        var bytes = Bytes(new EventRecord { Reason = (byte)VerdictReason.Truncated, Family = 4 });
        Assert.Equal(80, bytes.Length);
        for (var length = 0; length < bytes.Length; length++)
        {
            Assert.False(EventDecoder.TryDecode(bytes.AsSpan(0, length), out _));
        }

        Assert.True(EventDecoder.TryDecode([.. bytes, 0xFF, 0xFF], out var decoded));
        Assert.Equal(VerdictReason.Truncated, decoded.Reason);
    }
}
