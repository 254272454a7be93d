using System.Runtime.InteropServices;
using Membrane.Bpf.RingBuffer;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Ebpf.Tests.Support;
using static Membrane.Datapath.DatapathConstants;
using static Membrane.Datapath.Ebpf.Tests.Generator.Frames;

namespace Membrane.Datapath.Ebpf.Tests.Generator;

/// <summary>
/// The generated programs on hand-built frames through BPF_PROG_TEST_RUN: the reason and peer identity they leave in
/// cb[0] and cb[1], their return value, and what they write to conntrack, fragments, counters and the ring buffer.
/// The endpoint is 10.0.0.1 (fd00::1) on ifindex 1; its peer 10.0.0.2 has identity 200.
/// </summary>
[Collection(DatapathKernelCollection.Name)]
public sealed class DatapathProgramTests
{
    private const string Endpoint = "10.0.0.1";
    private const string Peer = "10.0.0.2";
    private const uint PeerIdentity = 200;

    [Fact]
    public void Arp_passes_as_not_ip_without_consulting_the_ipcache()
    {
        Root.Require();
        using var harness = new DatapathHarness(EndpointConfig.FlagEgressDefaultDeny);
        var outcome = harness.Egress(Ethernet(EtherTypeArp, new byte[28]));
        Assert.Equal(new DatapathHarness.Outcome(VerdictReason.NotIp, 0, ActionPass), outcome);
        Assert.Equal(1ul, harness.Datapath.Counter(VerdictReason.NotIp, DirectionEgress, ProtocolClass.NotIp));
    }

    [Fact]
    public void An_interface_without_an_endpoint_drops_everything()
    {
        Root.Require();
        using var harness = new DatapathHarness(withEndpoint: false);
        var outcome = harness.Ingress(TcpV4(Peer, Endpoint, 40000, 80));
        Assert.Equal(new DatapathHarness.Outcome(VerdictReason.UnknownEndpoint, 0, ActionDrop), outcome);
        Assert.Equal(1ul, harness.Datapath.Counter(VerdictReason.UnknownEndpoint, DirectionIngress, ProtocolClass.NotIp));
        using var reader = new RingBufferReader(harness.Datapath.Events);
        var buffer = new byte[256];
        Assert.True(reader.TryRead(buffer, out _), "the drop is an event");
        Assert.Equal((byte)VerdictReason.UnknownEndpoint, MemoryMarshal.Read<EventRecord>(buffer).Reason);
    }

    [Fact]
    public void Short_or_malformed_headers_and_vlan_tags_are_dropped_with_their_reason()
    {
        Root.Require();
        using var harness = new DatapathHarness();
        // (The kernel's test run refuses an IPv4 frame shorter than an IPv4 header, EINVAL, so the shortest is 20 bytes.)
        var tcp = TcpV4(Endpoint, Peer, 40000, 80);
        Assert.Equal(VerdictReason.Truncated, harness.Egress(Ethernet(EtherTypeIPv4, IPv4(Endpoint, Peer, Tcp, new byte[8]))).Reason);
        Assert.Equal(VerdictReason.UnsupportedEncapsulation, harness.Egress(Ethernet(EtherTypeVlan, new byte[46])).Reason);
        Assert.Equal(VerdictReason.UnsupportedEncapsulation, harness.Egress(Ethernet(EtherTypeQinQ, new byte[46])).Reason);
        Assert.Equal(VerdictReason.Truncated, harness.Egress(tcp[..^4]).Reason); // IPv4 total length beyond the packet
        var badVersion = tcp.ToArray();
        badVersion[14] = 0x55;
        Assert.Equal(VerdictReason.MalformedIpHeader, harness.Egress(badVersion).Reason);
        var badOffset = tcp.ToArray();
        badOffset[14 + 20 + 12] = 4 << 4;
        Assert.Equal(VerdictReason.MalformedL4Header, harness.Egress(badOffset).Reason);
        Assert.Equal((uint)ActionDrop, harness.Egress(badOffset).ReturnValue);
    }

    [Fact]
    public void An_allowed_flow_enters_conntrack_then_passes_as_established_and_its_reply_as_reply()
    {
        Root.Require();
        using var harness = new DatapathHarness(EndpointConfig.FlagEgressDefaultDeny | EndpointConfig.FlagIngressDefaultDeny);
        harness.SetIdentity(Peer, PeerIdentity);
        harness.SetPolicy(PeerIdentity, DirectionEgress, Tcp, 80);
        var before = DatapathHarness.Now;

        Assert.Equal(new DatapathHarness.Outcome(VerdictReason.PolicyAllowed, PeerIdentity, ActionPass), harness.Egress(TcpV4(Endpoint, Peer, 40000, 80)));
        var key = DatapathHarness.FlowKey(Endpoint, Peer, 40000, 80, Tcp, DirectionEgress);
        Assert.True(harness.Datapath.TryGetConntrack(key, out var entry), "the allowed flow is in conntrack");
        Assert.Equal((uint)LifetimeTcpOpening, entry.LifetimeSeconds);
        Assert.Equal((byte)0, entry.Flags);
        Assert.InRange(entry.ExpiresAt, before + (LifetimeTcpOpening * NanosecondsPerSecond), DatapathHarness.Now + (LifetimeTcpOpening * NanosecondsPerSecond));
        Assert.Single(harness.Datapath.ConntrackEntries());

        Assert.Equal(new DatapathHarness.Outcome(VerdictReason.Established, 0, ActionPass), harness.Egress(TcpV4(Endpoint, Peer, 40000, 80, TcpAck)));
        Assert.Equal(new DatapathHarness.Outcome(VerdictReason.Reply, 0, ActionPass), harness.Ingress(TcpV4(Peer, Endpoint, 80, 40000, TcpAck)));
        Assert.True(harness.Datapath.TryGetConntrack(key, out entry));
        Assert.Equal(ConntrackEntry.FlagSeenReply, entry.Flags);
        Assert.Equal((uint)LifetimeTcpEstablished, entry.LifetimeSeconds);

        Assert.Equal(VerdictReason.Established, harness.Egress(TcpV4(Endpoint, Peer, 40000, 80, TcpFin | TcpAck)).Reason);
        Assert.True(harness.Datapath.TryGetConntrack(key, out entry));
        Assert.Equal(ConntrackEntry.FlagSeenReply | ConntrackEntry.FlagClosing, entry.Flags);
        Assert.Equal((uint)LifetimeTcpClosing, entry.LifetimeSeconds);

        // Another port is a new flow, and this endpoint denies by default.
        Assert.Equal(new DatapathHarness.Outcome(VerdictReason.DefaultDenied, PeerIdentity, ActionDrop), harness.Egress(TcpV4(Endpoint, Peer, 40000, 81)));
        Assert.Single(harness.Datapath.ConntrackEntries());
    }

    [Fact]
    public void Default_allowed_and_default_denied_follow_the_endpoint_flags_and_an_unknown_peer_is_world()
    {
        Root.Require();
        using var harness = new DatapathHarness(EndpointConfig.FlagIngressDefaultDeny);
        Assert.Equal(new DatapathHarness.Outcome(VerdictReason.DefaultAllowed, IdentityWorldIPv4, ActionPass), harness.Egress(TcpV4(Endpoint, "192.0.2.1", 40000, 443)));
        Assert.Equal(new DatapathHarness.Outcome(VerdictReason.DefaultDenied, IdentityWorldIPv4, ActionDrop), harness.Ingress(TcpV4("192.0.2.1", Endpoint, 40000, 443)));
        Assert.Equal(1ul, harness.Datapath.Counter(VerdictReason.DefaultDenied, DirectionIngress, ProtocolClass.Tcp));
    }

    private const uint IdentityWorldIPv4 = 9;

    [Fact]
    public void A_deny_wins_over_an_allow_from_either_lookup()
    {
        Root.Require();
        using var harness = new DatapathHarness();
        harness.SetIdentity(Peer, PeerIdentity);
        harness.SetPolicy(0, DirectionEgress, Tcp, 80);
        harness.SetPolicy(PeerIdentity, DirectionEgress, Tcp, null, deny: true);
        Assert.Equal(new DatapathHarness.Outcome(VerdictReason.PolicyDenied, PeerIdentity, ActionDrop), harness.Egress(TcpV4(Endpoint, Peer, 40000, 80)));
        Assert.Empty(harness.Datapath.ConntrackEntries());
        // Another peer only meets the any-identity allow.
        Assert.Equal(VerdictReason.PolicyAllowed, harness.Egress(TcpV4(Endpoint, "10.0.0.3", 40000, 80)).Reason);
    }

    [Fact]
    public void An_echo_reply_is_a_reply_but_an_echo_request_with_the_same_identifier_is_a_new_flow()
    {
        Root.Require();
        using var harness = new DatapathHarness(EndpointConfig.FlagEgressDefaultDeny | EndpointConfig.FlagIngressDefaultDeny);
        harness.SetIdentity(Peer, PeerIdentity);
        harness.SetPolicy(PeerIdentity, DirectionEgress, Icmp, Icmp4EchoRequest << 8);
        Assert.Equal(VerdictReason.PolicyAllowed, harness.Egress(EchoV4(Endpoint, Peer, Icmp4EchoRequest, 0x1234)).Reason);
        Assert.True(harness.Datapath.TryGetConntrack(DatapathHarness.FlowKey(Endpoint, Peer, 0x1234, 0x1234, Icmp, DirectionEgress), out var entry));
        Assert.Equal((uint)LifetimeIcmpEcho, entry.LifetimeSeconds);
        Assert.Equal(VerdictReason.Reply, harness.Ingress(EchoV4(Peer, Endpoint, Icmp4EchoReply, 0x1234)).Reason);
        // GHSA-c66w-hq56-4q97: the peer's request reusing the identifier is checked against policy, and denied.
        Assert.Equal(VerdictReason.DefaultDenied, harness.Ingress(EchoV4(Peer, Endpoint, Icmp4EchoRequest, 0x1234)).Reason);
        // An echo reply nobody asked for is not a reply either.
        Assert.Equal(VerdictReason.DefaultDenied, harness.Ingress(EchoV4(Peer, Endpoint, Icmp4EchoReply, 0x9999)).Reason);
    }

    [Fact]
    public void An_icmp_error_from_a_router_about_a_tracked_flow_is_related()
    {
        Root.Require();
        using var harness = new DatapathHarness(EndpointConfig.FlagEgressDefaultDeny | EndpointConfig.FlagIngressDefaultDeny);
        harness.SetIdentity(Peer, PeerIdentity);
        harness.SetPolicy(PeerIdentity, DirectionEgress, Tcp, 80);
        Assert.Equal(VerdictReason.PolicyAllowed, harness.Egress(TcpV4(Endpoint, Peer, 40000, 80)).Reason);

        // Fragmentation needed (3/4) from a router, 192.0.2.254, carrying the flow's IPv4 header and first 8 bytes of TCP.
        var embedded = IPv4(Endpoint, Peer, Tcp, TcpHeader(40000, 80))[..28];
        var error = Ethernet(EtherTypeIPv4, IPv4("192.0.2.254", Endpoint, Icmp, IcmpHeader(3, 4, 0, embedded)));
        Assert.Equal(new DatapathHarness.Outcome(VerdictReason.Related, 0, ActionPass), harness.Ingress(error));

        // The same error about another flow is not related: it goes to policy.
        var other = IPv4(Endpoint, Peer, Tcp, TcpHeader(40001, 80))[..28];
        Assert.Equal(VerdictReason.DefaultDenied, harness.Ingress(Ethernet(EtherTypeIPv4, IPv4("192.0.2.254", Endpoint, Icmp, IcmpHeader(3, 4, 0, other)))).Reason);
    }

    [Fact]
    public void Neighbour_discovery_passes_with_hop_limit_255_only()
    {
        Root.Require();
        using var harness = new DatapathHarness(EndpointConfig.FlagIngressDefaultDeny);
        var solicitation = IcmpHeader(135, 0, 0, new byte[16]);
        Assert.Equal(new DatapathHarness.Outcome(VerdictReason.NeighbourDiscovery, 0, ActionPass),
            harness.Ingress(Ethernet(EtherTypeIPv6, IPv6("fe80::2", "fd00::1", IcmpV6, solicitation, hopLimit: 255))));
        Assert.Equal(new DatapathHarness.Outcome(VerdictReason.DefaultDenied, 10, ActionDrop),
            harness.Ingress(Ethernet(EtherTypeIPv6, IPv6("fe80::2", "fd00::1", IcmpV6, solicitation, hopLimit: 64))));
        // MLD (131) needs hop limit 1; redirect (137) is not in the set.
        Assert.Equal(VerdictReason.NeighbourDiscovery,
            harness.Ingress(Ethernet(EtherTypeIPv6, IPv6("fe80::2", "ff02::1", IcmpV6, IcmpHeader(131, 0, 0, new byte[16]), hopLimit: 1))).Reason);
        Assert.Equal(VerdictReason.DefaultDenied,
            harness.Ingress(Ethernet(EtherTypeIPv6, IPv6("fe80::2", "fd00::1", IcmpV6, IcmpHeader(137, 0, 0, new byte[32]), hopLimit: 255))).Reason);
    }

    [Fact]
    public void A_first_fragment_leaves_its_verdict_and_a_later_fragment_takes_it()
    {
        Root.Require();
        using var harness = new DatapathHarness(EndpointConfig.FlagEgressDefaultDeny);
        harness.SetIdentity(Peer, PeerIdentity);
        harness.SetPolicy(PeerIdentity, DirectionEgress, Udp, 53);
        var first = Ethernet(EtherTypeIPv4, IPv4(Endpoint, Peer, Udp, UdpHeader(5353, 53, 32), identification: 0x4242, fragment: 0x2000));
        Assert.Equal(VerdictReason.PolicyAllowed, harness.Egress(first).Reason);
        var (key, entry) = Assert.Single(harness.Datapath.FragmentEntries());
        Assert.Equal(0x4242u, key.FragmentId);
        Assert.Equal(Udp, key.Protocol);
        Assert.Equal(DirectionEgress, key.Direction);
        Assert.Equal((byte)VerdictReason.PolicyAllowed, entry.Reason);
        Assert.Equal(5353, entry.SourcePort);
        Assert.Equal(53, entry.DestinationPort);
        Assert.InRange(entry.ExpiresAt, DatapathHarness.Now, DatapathHarness.Now + (LifetimeFragment * NanosecondsPerSecond));

        var later = Ethernet(EtherTypeIPv4, IPv4(Endpoint, Peer, Udp, new byte[40], identification: 0x4242, fragment: 5));
        Assert.Equal(new DatapathHarness.Outcome(VerdictReason.FragmentAllowed, 0, ActionPass), harness.Egress(later));

        // A denied first fragment's datagram stays denied.
        var deniedFirst = Ethernet(EtherTypeIPv4, IPv4(Endpoint, Peer, Udp, UdpHeader(5353, 54, 32), identification: 0x4343, fragment: 0x2000));
        Assert.Equal(VerdictReason.DefaultDenied, harness.Egress(deniedFirst).Reason);
        var deniedLater = Ethernet(EtherTypeIPv4, IPv4(Endpoint, Peer, Udp, new byte[40], identification: 0x4343, fragment: 5));
        Assert.Equal(VerdictReason.FragmentOfDenied, harness.Egress(deniedLater).Reason);
    }

    [Fact]
    public void A_later_fragment_without_its_first_is_dropped()
    {
        Root.Require();
        using var harness = new DatapathHarness();
        var later = Ethernet(EtherTypeIPv4, IPv4(Endpoint, Peer, Udp, new byte[40], identification: 0x5151, fragment: 0x2000 | 5));
        Assert.Equal(new DatapathHarness.Outcome(VerdictReason.FragmentWithoutFirst, 0, ActionDrop), harness.Egress(later));
        Assert.Empty(harness.Datapath.FragmentEntries());
    }

    [Fact]
    public void A_drop_is_sent_to_the_ring_buffer_as_an_event()
    {
        Root.Require();
        using var harness = new DatapathHarness(EndpointConfig.FlagEgressDefaultDeny);
        harness.SetIdentity(Peer, PeerIdentity);
        using var reader = new RingBufferReader(harness.Datapath.Events);
        var frame = TcpV4(Endpoint, Peer, 40000, 8080);
        Assert.Equal(VerdictReason.DefaultDenied, harness.Egress(frame).Reason);

        var buffer = new byte[256];
        Assert.True(reader.TryRead(buffer, out var length), "a drop event is in the ring buffer");
        Assert.Equal(Marshal.SizeOf<EventRecord>(), length);
        var record = MemoryMarshal.Read<EventRecord>(buffer);
        Assert.Equal((byte)EventKind.Drop, record.Kind);
        Assert.Equal((byte)VerdictReason.DefaultDenied, record.Reason);
        Assert.Equal(DirectionEgress, record.Direction);
        Assert.Equal(FamilyIPv4, record.Family);
        Assert.Equal(Tcp, record.Protocol);
        Assert.Equal((byte)DecidedBy.Default, record.DecidedBy);
        Assert.Equal(DatapathHarness.EndpointId, record.EndpointId);
        Assert.Equal(DatapathHarness.EndpointIdentity, record.EndpointIdentity);
        Assert.Equal(PeerIdentity, record.PeerIdentity);
        Assert.Equal(DatapathHarness.Ifindex, record.Ifindex);
        Assert.Equal(40000, record.SourcePort);
        Assert.Equal(8080, record.DestinationPort);
        Assert.Equal((uint)frame.Length, record.PacketLength);
        Assert.Equal(IpAddress16.From(System.Net.IPAddress.Parse(Endpoint)), record.Source);
        Assert.Equal(IpAddress16.From(System.Net.IPAddress.Parse(Peer)), record.Destination);
        Assert.False(reader.TryRead(buffer, out _), "one packet, one event");

        // A pass is not sent unless the configuration asks.
        Assert.Equal(VerdictReason.NotIp, harness.Egress(Ethernet(EtherTypeArp, new byte[28])).Reason);
        Assert.False(reader.TryRead(buffer, out _));
    }

    [Fact]
    public void The_egress_program_drops_a_source_that_is_not_the_endpoints_own_and_keeps_neighbour_discovery()
    {
        Root.Require();
        using var harness = new DatapathHarness();
        harness.SetIdentity(Peer, PeerIdentity);

        // Another endpoint's address, an unspecified one, and an IPv6 address that is not the endpoint's: each dropped
        // before the ipcache is consulted (peer identity 0), counted and sent as an event.
        foreach (var forged in new[]
        {
            TcpV4("10.0.0.3", Peer, 40000, 80),
            TcpV4("0.0.0.0", Peer, 40000, 80),
            Ethernet(EtherTypeIPv6, IPv6("fd00::3", "fd00::2", Udp, UdpHeader(1000, 5000))),
            Ethernet(EtherTypeIPv6, IPv6("::", "fd00::2", Udp, UdpHeader(1000, 5000))),
            Ethernet(EtherTypeIPv6, IPv6("fe80::1", "fd00::2", Udp, UdpHeader(1000, 5000))),
        })
        {
            Assert.Equal(new DatapathHarness.Outcome(VerdictReason.InvalidSource, 0, ActionDrop), harness.Egress(forged));
        }

        Assert.Equal(2ul, harness.Datapath.Counter(VerdictReason.InvalidSource, DirectionEgress, ProtocolClass.Tcp));
        Assert.Equal(3ul, harness.Datapath.Counter(VerdictReason.InvalidSource, DirectionEgress, ProtocolClass.Udp));
        using (var reader = new RingBufferReader(harness.Datapath.Events))
        {
            var buffer = new byte[256];
            Assert.True(reader.TryRead(buffer, out _));
            var record = MemoryMarshal.Read<EventRecord>(buffer);
            Assert.Equal((byte)VerdictReason.InvalidSource, record.Reason);
            Assert.Equal(DatapathHarness.EndpointId, record.EndpointId);
            Assert.Equal(IpAddress16.From(System.Net.IPAddress.Parse("10.0.0.3")), record.Source);
        }

        // The endpoint's own addresses pass; so do neighbour discovery from link-local and :: (duplicate address
        // detection) sources, and ARP; and ingress is not checked at all.
        Assert.Equal(VerdictReason.DefaultAllowed, harness.Egress(TcpV4(Endpoint, Peer, 40000, 80)).Reason);
        Assert.Equal(VerdictReason.DefaultAllowed, harness.Egress(Ethernet(EtherTypeIPv6, IPv6(DatapathHarness.EndpointIPv6, "fd00::2", Udp, UdpHeader(1000, 5000)))).Reason);
        Assert.Equal(VerdictReason.NeighbourDiscovery, harness.Egress(Ethernet(EtherTypeIPv6, IPv6("fe80::1", "ff02::2", IcmpV6, IcmpHeader(133, 0), hopLimit: 255))).Reason);
        Assert.Equal(VerdictReason.NeighbourDiscovery, harness.Egress(Ethernet(EtherTypeIPv6, IPv6("::", "ff02::1:ff00:1", IcmpV6, IcmpHeader(135, 0), hopLimit: 255))).Reason);
        Assert.Equal(VerdictReason.NeighbourDiscovery, harness.Egress(Ethernet(EtherTypeIPv6, IPv6(DatapathHarness.EndpointIPv6, "ff02::1:ff00:2", IcmpV6, IcmpHeader(135, 0), hopLimit: 255))).Reason);

        // Neighbour discovery from another's global address is no pass: forwarded to that peer with its hop limit
        // lowered, it would be judged there as the forged source.
        Assert.Equal(VerdictReason.InvalidSource, harness.Egress(Ethernet(EtherTypeIPv6, IPv6("fd00::3", "fd00::2", IcmpV6, IcmpHeader(135, 0), hopLimit: 255))).Reason);
        Assert.Equal(VerdictReason.InvalidSource, harness.Egress(Ethernet(EtherTypeIPv6, IPv6("fd00::3", "fd00::2", IcmpV6, IcmpHeader(136, 0), hopLimit: 255))).Reason);

        // Nor is it from the endpoint's own address to one beyond the link: that goes to the endpoint's egress policy.
        Assert.Equal(VerdictReason.DefaultAllowed, harness.Egress(Ethernet(EtherTypeIPv6, IPv6(DatapathHarness.EndpointIPv6, "fd00::2", IcmpV6, IcmpHeader(135, 0), hopLimit: 255))).Reason);
        Assert.Equal(VerdictReason.NotIp, harness.Egress(Ethernet(EtherTypeArp, new byte[28])).Reason);
        Assert.Equal(VerdictReason.DefaultAllowed, harness.Ingress(TcpV4("198.51.100.1", Endpoint, 40000, 80)).Reason);

        // A forged later fragment is dropped for its source, not as a fragment without its first.
        var later = Ethernet(EtherTypeIPv4, IPv4("10.0.0.3", Peer, Udp, new byte[16], identification: 77, fragment: 100));
        Assert.Equal(VerdictReason.InvalidSource, harness.Egress(later).Reason);
        Assert.Empty(harness.Datapath.FragmentEntries());
    }
}
