using Membrane.Bpf.RingBuffer;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Ebpf.Tests.Support;
using static Membrane.Datapath.DatapathConstants;
using static Membrane.Datapath.Ebpf.Tests.Generator.Frames;

namespace Membrane.Datapath.Ebpf.Tests.Generator;

/// <summary>IPv6 extension headers and fragments, ICMPv6 errors, and the event token bucket, through test runs.</summary>
[Collection(DatapathKernelCollection.Name)]
public sealed class IPv6AndEventTests
{
    private const string Endpoint = "fd00::1";
    private const string Peer = "fd00::2";

    /// <summary>A generic extension header of 8 bytes (length byte 0) followed by <paramref name="next"/>.</summary>
    private static byte[] Options(byte next) => [next, 0, 0, 0, 0, 0, 0, 0];

    private static byte[] FragmentHeader(byte next, ushort offsetUnits, bool more, uint identification) =>
    [
        next, 0, (byte)(offsetUnits >> 5), (byte)(((offsetUnits & 0x1f) << 3) | (more ? 1 : 0)),
        (byte)(identification >> 24), (byte)(identification >> 16), (byte)(identification >> 8), (byte)identification,
    ];

    [Fact]
    public void Four_extension_headers_are_walked_to_the_l4_header_and_a_fifth_is_too_many()
    {
        Root.Require();
        using var harness = new DatapathHarness(EndpointConfig.FlagEgressDefaultDeny);
        harness.SetPolicy(IdentityWorldIPv6, DirectionEgress, Tcp, 443);
        var four = Concat(Options(60), Options(43), Options(60), Options(Tcp), TcpHeader(40000, 443));
        Assert.Equal(new DatapathHarness.Outcome(VerdictReason.PolicyAllowed, IdentityWorldIPv6, ActionPass),
            harness.Egress(Ethernet(EtherTypeIPv6, IPv6(Endpoint, Peer, NextHeaderHopByHop, four))));
        var five = Concat(Options(60), Options(43), Options(60), Options(60), Options(Tcp), TcpHeader(40000, 443));
        Assert.Equal(VerdictReason.TooManyExtensionHeaders, harness.Egress(Ethernet(EtherTypeIPv6, IPv6(Endpoint, Peer, NextHeaderHopByHop, five))).Reason);
        // A header whose length runs past the datagram is truncated.
        byte[] longHeader = [Tcp, 4, 0, 0, 0, 0, 0, 0];
        Assert.Equal(VerdictReason.Truncated, harness.Egress(Ethernet(EtherTypeIPv6, IPv6(Endpoint, Peer, NextHeaderHopByHop, Concat(longHeader, TcpHeader(1, 2))))).Reason);
    }

    private const uint IdentityWorldIPv6 = 10;

    [Fact]
    public void IPv6_fragments_are_recorded_under_their_32_bit_identification_and_an_atomic_fragment_is_not_one()
    {
        Root.Require();
        using var harness = new DatapathHarness(EndpointConfig.FlagEgressDefaultDeny);
        harness.SetPolicy(IdentityWorldIPv6, DirectionEgress, Udp, 53);
        var first = Concat(FragmentHeader(Udp, 0, more: true, 0xA1B2C3D4), UdpHeader(5353, 53, 16));
        Assert.Equal(VerdictReason.PolicyAllowed, harness.Egress(Ethernet(EtherTypeIPv6, IPv6(Endpoint, Peer, NextHeaderFragment, first))).Reason);
        var (key, entry) = Assert.Single(harness.Datapath.FragmentEntries());
        Assert.Equal(0xA1B2C3D4u, key.FragmentId);
        Assert.Equal(FamilyIPv6, key.Family);
        Assert.Equal((byte)VerdictReason.PolicyAllowed, entry.Reason);

        var later = Concat(FragmentHeader(Udp, 3, more: false, 0xA1B2C3D4), new byte[24]);
        Assert.Equal(VerdictReason.FragmentAllowed, harness.Egress(Ethernet(EtherTypeIPv6, IPv6(Endpoint, Peer, NextHeaderFragment, later))).Reason);

        var atomic = Concat(FragmentHeader(Udp, 0, more: false, 7), UdpHeader(5353, 54));
        Assert.Equal(VerdictReason.DefaultDenied, harness.Egress(Ethernet(EtherTypeIPv6, IPv6(Endpoint, Peer, NextHeaderFragment, atomic))).Reason);
        Assert.Single(harness.Datapath.FragmentEntries());
    }

    [Fact]
    public void A_packet_too_big_about_a_tracked_ipv6_flow_is_related()
    {
        Root.Require();
        using var harness = new DatapathHarness(EndpointConfig.FlagEgressDefaultDeny | EndpointConfig.FlagIngressDefaultDeny);
        harness.SetPolicy(IdentityWorldIPv6, DirectionEgress, Udp, 4789);
        Assert.Equal(VerdictReason.PolicyAllowed, harness.Egress(Ethernet(EtherTypeIPv6, IPv6(Endpoint, Peer, Udp, UdpHeader(50000, 4789, 100)))).Reason);
        var embedded = IPv6(Endpoint, Peer, Udp, UdpHeader(50000, 4789, 100))[..48];
        var tooBig = IPv6("2001:db8::ff", Endpoint, IcmpV6, IcmpHeader(Icmp6PacketTooBig, 0, 0, embedded));
        Assert.Equal(VerdictReason.Related, harness.Ingress(Ethernet(EtherTypeIPv6, tooBig)).Reason);
        // Cut inside the embedded header: not related, so policy decides.
        var cut = IPv6("2001:db8::ff", Endpoint, IcmpV6, IcmpHeader(Icmp6PacketTooBig, 0, 0, embedded[..44]));
        Assert.Equal(VerdictReason.DefaultDenied, harness.Ingress(Ethernet(EtherTypeIPv6, cut)).Reason);
    }

    [Fact]
    public void The_token_bucket_suppresses_events_beyond_its_burst_and_counts_them()
    {
        Root.Require();
        var config = DatapathConfig.Default with { EventRate = 1, EventBurst = 2 };
        using var harness = new DatapathHarness(EndpointConfig.FlagEgressDefaultDeny, config: config);
        using var reader = new RingBufferReader(harness.Datapath.Events);
        var frame = TcpV4("10.0.0.1", "10.0.0.2", 40000, 22);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(VerdictReason.DefaultDenied, harness.Egress(frame).Reason);
        }

        var buffer = new byte[256];
        var events = 0;
        while (reader.TryRead(buffer, out _))
        {
            events++;
        }

        // Five drops within well under a second at 1 event/s with a burst of 2: two sent, three suppressed.
        Assert.Equal(2, events);
        Assert.Equal(3ul, harness.Datapath.Counter(CounterEventsSuppressed));
        Assert.Equal(0ul, harness.Datapath.Counter(CounterEventsLost));
        Assert.Equal(5ul, harness.Datapath.Counter(VerdictReason.DefaultDenied, DirectionEgress, ProtocolClass.Tcp));
    }

    [Fact]
    public void Allowed_new_flows_are_sent_only_when_the_configuration_asks()
    {
        Root.Require();
        var config = DatapathConfig.Default with { Flags = DatapathConfig.FlagEmitAllowEvents };
        using var harness = new DatapathHarness(config: config);
        using var reader = new RingBufferReader(harness.Datapath.Events);
        Assert.Equal(VerdictReason.DefaultAllowed, harness.Egress(TcpV4("10.0.0.1", "10.0.0.2", 40000, 22)).Reason);
        Assert.Equal(VerdictReason.Established, harness.Egress(TcpV4("10.0.0.1", "10.0.0.2", 40000, 22, TcpAck)).Reason);
        var buffer = new byte[256];
        Assert.True(reader.TryRead(buffer, out _));
        var record = System.Runtime.InteropServices.MemoryMarshal.Read<EventRecord>(buffer);
        Assert.Equal((byte)EventKind.PolicyVerdict, record.Kind);
        Assert.Equal((byte)VerdictReason.DefaultAllowed, record.Reason);
        Assert.False(reader.TryRead(buffer, out _), "an established packet is not an event");
    }
}
