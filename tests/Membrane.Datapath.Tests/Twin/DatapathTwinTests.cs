using System.Net;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Packets;
using Membrane.Datapath.Twin;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Tests.Twin;

/// <summary>The exact map writes the differential test compares: keys, entries and expiry times.</summary>
public sealed class DatapathTwinTests
{
    private const uint Ifindex = 4;
    private const ulong Second = DatapathConstants.NanosecondsPerSecond;

    private static readonly EndpointConfig Endpoint = new EndpointConfig { EndpointId = 7, Identity = 1000, PolicyId = EndpointConfig.PolicyIdOf(7, 0) }
        .WithAddresses(IPAddress.Parse("10.0.0.2"), IPAddress.Parse("fd00::2"));

    private static (DatapathTwin Twin, TwinMaps Maps) NewTwin()
    {
        var maps = new TwinMaps();
        maps.SetEndpoint(Ifindex, Endpoint);
        return (new DatapathTwin(maps), maps);
    }

    private static IpAddress16 Address(string text) => IpAddress16.From(IPAddress.Parse(text));

    [Fact]
    public void A_new_flow_is_entered_under_its_forward_key_and_a_reply_refreshes_it()
    {
        var (twin, maps) = NewTwin();
        var first = twin.Process(PacketBuilder.Between("10.0.0.2", "10.0.0.1").Tcp(40000, 80).Build(), Ifindex, DatapathConstants.DirectionEgress, 3 * Second);
        var key = new ConntrackKey
        {
            Source = Address("10.0.0.2"),
            Destination = Address("10.0.0.1"),
            SourcePort = 40000,
            DestinationPort = 80,
            EndpointId = 7,
            Protocol = IpProtocols.Tcp,
            Family = DatapathConstants.FamilyIPv4,
            Direction = DatapathConstants.DirectionEgress,
        };
        var entry = new ConntrackEntry { ExpiresAt = 63 * Second, LifetimeSeconds = 60 };
        Assert.Equal(VerdictReason.DefaultAllowed, first.Reason);
        Assert.Equal([new ConntrackWrite(key, entry)], first.ConntrackWrites);
        Assert.Equal(DecidedBy.Default, first.DecidedBy);
        Assert.Null(first.PolicyValue);
        Assert.Equal(DatapathTwin.WorldIPv4Identity, first.PeerIdentity);

        var reply = twin.Process(PacketBuilder.Between("10.0.0.1", "10.0.0.2").Tcp(80, 40000, PacketBuilder.TcpRst).Build(), Ifindex, DatapathConstants.DirectionIngress, 4 * Second);
        Assert.Equal(VerdictReason.Reply, reply.Reason);
        var refreshed = new ConntrackEntry { ExpiresAt = 14 * Second, LifetimeSeconds = 10, Flags = ConntrackEntry.FlagSeenReply | ConntrackEntry.FlagClosing };
        Assert.Equal([new ConntrackWrite(key, refreshed)], reply.ConntrackWrites);
        Assert.Equal(refreshed, maps.Conntrack[key]);
        Assert.Equal(0u, reply.PeerIdentity);
        Assert.Equal(DecidedBy.None, reply.DecidedBy);
    }

    [Fact]
    public void A_first_fragment_writes_its_entry_and_a_later_one_takes_its_ports()
    {
        var (twin, maps) = NewTwin();
        maps.Config = DatapathConfig.Default with { Flags = DatapathConfig.FlagEmitAllowEvents };
        var first = twin.Process(PacketBuilder.Between("fd00::1", "fd00::2").Udp(5000, 53).Fragment(0x10002, 0, true).Build(), Ifindex, DatapathConstants.DirectionIngress, 2 * Second);
        var key = new FragmentKey
        {
            Source = Address("fd00::1"),
            Destination = Address("fd00::2"),
            FragmentId = 0x10002,
            EndpointId = 7,
            Protocol = IpProtocols.Udp,
            Family = DatapathConstants.FamilyIPv6,
            Direction = DatapathConstants.DirectionIngress,
        };
        Assert.Equal([new FragmentWrite(key, new FragmentEntry { ExpiresAt = 32 * Second, SourcePort = 5000, DestinationPort = 53, Reason = (byte)VerdictReason.DefaultAllowed })], first.FragmentWrites);

        var later = twin.Process(PacketBuilder.Between("fd00::1", "fd00::2").Udp(1, 1).Payload(new byte[8]).Fragment(0x10002, 1448, false).Build(), Ifindex, DatapathConstants.DirectionIngress, 3 * Second);
        Assert.Equal(VerdictReason.FragmentAllowed, later.Reason);
        Assert.Empty(later.FragmentWrites);
        Assert.Empty(later.ConntrackWrites);
        Assert.Equal((5000, 53), (later.Packet.SourcePort, later.Packet.DestinationPort));
        // A passed later fragment is not a new flow: no event even with allow events on.
        Assert.Null(later.Event);
    }

    [Fact]
    public void The_counter_slot_is_the_reason_direction_and_class()
    {
        var (twin, maps) = NewTwin();
        var verdict = twin.Process(PacketBuilder.Between("fd00::1", "fd00::2").EchoRequest(1).Build(), Ifindex, DatapathConstants.DirectionIngress, Second);
        Assert.Equal(ProtocolClassExtensions.CounterSlot(VerdictReason.DefaultAllowed, DatapathConstants.DirectionIngress, ProtocolClass.IcmpV6), verdict.CounterSlot);
        Assert.Equal(1ul, maps.Counters[verdict.CounterSlot]);
        Assert.Equal(1ul, maps.Counters.Aggregate(0ul, (a, b) => a + b));
    }

    [Fact]
    public void Deny_from_the_any_identity_lookup_is_reported_with_its_entry()
    {
        var (twin, maps) = NewTwin();
        maps.SetIpcache(IPNetwork.Parse("10.0.0.0/8"), 2001);
        foreach (var line in new[] { "ingress 2001 UDP 53 allow cookie 1", "ingress any UDP 53 deny cookie 2" })
        {
            var (key, value) = ScenarioWorld.ParsePolicy(line, Endpoint.PolicyId);
            maps.UpsertPolicy(key, value);
        }

        var verdict = twin.Process(PacketBuilder.Between("10.1.2.3", "10.0.0.2").Udp(9, 53).Build(), Ifindex, DatapathConstants.DirectionIngress, Second);
        Assert.Equal((VerdictReason.PolicyDenied, DecidedBy.AnyIdentityEntry, 2001u), (verdict.Reason, verdict.DecidedBy, verdict.PeerIdentity));
        Assert.Equal(new PolicyMapValue { Cookie = 2, Flags = PolicyMapValue.FlagDeny, PrefixLengthOfValue = 16 }, verdict.PolicyValue);
        Assert.False(verdict.Passed);
        Assert.Empty(verdict.ConntrackWrites);
    }
}
