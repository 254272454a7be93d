using Membrane.Bpf.RingBuffer;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Ebpf.Tests.Support;
using static Membrane.Datapath.DatapathConstants;
using static Membrane.Datapath.Ebpf.Tests.Generator.Frames;

namespace Membrane.Datapath.Ebpf.Tests.Generator;

/// <summary>Ping as it really goes: fragmented, through a router, and in a flood.</summary>
[Collection(DatapathKernelCollection.Name)]
public sealed class PingTests
{
    private const string Endpoint = "10.0.0.1";
    private const string Peer = "10.0.0.2";
    private const uint PeerIdentity = 200;

    private static byte[] EchoFragment(string source, string destination, byte type, ushort identification, ushort fragment, int length) =>
        Ethernet(EtherTypeIPv4, IPv4(source, destination, Icmp,
            (fragment & 0x1fff) == 0 ? IcmpHeader(type, 0, 0x77, new byte[length - 8]) : new byte[length],
            identification, fragment));

    [Fact]
    public void A_fragmented_ping_behaves_like_a_ping()
    {
        Root.Require();
        using var harness = new DatapathHarness(EndpointConfig.FlagEgressDefaultDeny | EndpointConfig.FlagIngressDefaultDeny);
        harness.SetIdentity(Peer, PeerIdentity);
        harness.SetPolicy(PeerIdentity, DirectionEgress, Icmp, Icmp4EchoRequest << 8);

        // ping -s 4000 over a 1500-byte MTU: 1480 + 1480 + 1048 bytes of ICMP.
        Assert.Equal(VerdictReason.PolicyAllowed, harness.Egress(EchoFragment(Endpoint, Peer, Icmp4EchoRequest, 1, 0x2000, 1480)).Reason);
        Assert.Equal(VerdictReason.FragmentAllowed, harness.Egress(EchoFragment(Endpoint, Peer, Icmp4EchoRequest, 1, 0x2000 | 185, 1480)).Reason);
        Assert.Equal(VerdictReason.FragmentAllowed, harness.Egress(EchoFragment(Endpoint, Peer, Icmp4EchoRequest, 1, 370, 1048)).Reason);

        // The reply comes back in fragments too: its first fragment is a reply, and leaves that for the rest.
        Assert.Equal(VerdictReason.Reply, harness.Ingress(EchoFragment(Peer, Endpoint, Icmp4EchoReply, 9, 0x2000, 1480)).Reason);
        Assert.Equal(VerdictReason.FragmentAllowed, harness.Ingress(EchoFragment(Peer, Endpoint, Icmp4EchoReply, 9, 0x2000 | 185, 1480)).Reason);
        Assert.Equal(VerdictReason.FragmentAllowed, harness.Ingress(EchoFragment(Peer, Endpoint, Icmp4EchoReply, 9, 370, 1048)).Reason);
        Assert.Equal(2, harness.Datapath.FragmentEntries().Count());
    }

    [Fact]
    public void Time_exceeded_from_a_router_about_a_ping_is_related()
    {
        Root.Require();
        using var harness = new DatapathHarness(EndpointConfig.FlagEgressDefaultDeny | EndpointConfig.FlagIngressDefaultDeny);
        harness.SetIdentity(Peer, PeerIdentity);
        harness.SetPolicy(PeerIdentity, DirectionEgress, Icmp, Icmp4EchoRequest << 8);
        Assert.Equal(VerdictReason.PolicyAllowed, harness.Egress(EchoV4(Endpoint, Peer, Icmp4EchoRequest, 0x4321)).Reason);
        var embedded = IPv4(Endpoint, Peer, Icmp, IcmpHeader(Icmp4EchoRequest, 0, 0x4321), ttl: 1);
        var error = Ethernet(EtherTypeIPv4, IPv4("192.0.2.254", Endpoint, Icmp, IcmpHeader(Icmp4TimeExceeded, 0, 0, embedded)));
        Assert.Equal(VerdictReason.Related, harness.Ingress(error).Reason);
        // About another identifier it is not.
        var otherEmbedded = IPv4(Endpoint, Peer, Icmp, IcmpHeader(Icmp4EchoRequest, 0, 0x4322), ttl: 1);
        var other = Ethernet(EtherTypeIPv4, IPv4("192.0.2.254", Endpoint, Icmp, IcmpHeader(Icmp4TimeExceeded, 0, 0, otherEmbedded)));
        Assert.Equal(VerdictReason.DefaultDenied, harness.Ingress(other).Reason);
    }

    [Fact]
    public void Events_the_ring_buffer_has_no_room_for_are_counted_as_lost()
    {
        Root.Require();
        const int drops = 100;
        using var harness = new DatapathHarness(EndpointConfig.FlagEgressDefaultDeny, eventRingBytes: Environment.SystemPageSize);
        using var reader = new RingBufferReader(harness.Datapath.Events);
        var frame = TcpV4(Endpoint, Peer, 40000, 22);
        for (var i = 0; i < drops; i++)
        {
            Assert.Equal(VerdictReason.DefaultDenied, harness.Egress(frame).Reason);
        }

        var buffer = new byte[256];
        var events = 0;
        while (reader.TryRead(buffer, out _))
        {
            events++;
        }

        var lost = harness.Datapath.Counter(CounterEventsLost);
        Assert.True(lost > 0, $"{events} events fit in one page; none lost");
        Assert.Equal((ulong)drops, (ulong)events + lost + harness.Datapath.Counter(CounterEventsSuppressed));
    }
}
