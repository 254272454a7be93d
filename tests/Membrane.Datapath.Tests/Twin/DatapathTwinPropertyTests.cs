using System.Net;
using CsCheck;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Packets;
using Membrane.Datapath.Twin;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Tests.Twin;

/// <summary>What holds for every packet, whatever its bytes: one counter, an event exactly for each drop, writes only where the path makes them.</summary>
public sealed class DatapathTwinPropertyTests
{
    private static readonly Gen<byte[]> Frames = Gen.OneOf(
        Gen.Select(Gen.Int[0, 3], Gen.UShort, Gen.UShort, Gen.Byte, Gen.Bool, Gen.Int[0, 2]).Select((kind, a, b, c, v6, fragment) =>
        {
            var builder = v6 ? PacketBuilder.Between("fd00::1", "fd00::2") : PacketBuilder.Between("10.0.0.1", "10.0.0.2");
            _ = kind switch
            {
                0 => builder.Tcp(a, b, c),
                1 => builder.Udp(a, b),
                2 => builder.Icmp(c, (byte)a, b),
                _ => builder.IcmpError(v6 ? (byte)1 : (byte)3, 4, v6 ? PacketBuilder.Between("fd00::2", "fd00::1").Udp(b, a) : PacketBuilder.Between("10.0.0.2", "10.0.0.1").Udp(b, a)),
            };
            if (fragment > 0)
            {
                builder.Payload(new byte[16]).Fragment(c, fragment == 1 ? 0 : 8, fragment == 1);
            }

            return builder.Build();
        }),
        Gen.Byte.Array[0, 120]);

    [Fact]
    public void Every_packet_counts_once_and_every_drop_is_offered() =>
        Gen.Select(Gen.Select(Frames, Gen.Bool, Gen.Int[1, 3], Gen.Bool).Array[1, 40], Gen.Bool).Sample((packets, emitAllows) =>
        {
            var maps = new TwinMaps();
            maps.SetEndpoint(1, new EndpointConfig { EndpointId = 1, Identity = 1000, PolicyId = 2, Flags = EndpointConfig.FlagIngressDefaultDeny });
            maps.SetIpcache(IPNetwork.Parse("10.0.0.0/24"), 2001);
            maps.UpsertPolicy(PolicyMapKey.Lookup(2, 2001, 0, IpProtocols.Udp, 53) with { PrefixLength = 80 }, new PolicyMapValue { PrefixLengthOfValue = 0 });
            maps.Config = DatapathConfig.Default with { Flags = emitAllows ? DatapathConfig.FlagEmitAllowEvents : 0, EventBurst = 5, EventRate = 3 };
            var twin = new DatapathTwin(maps);
            ulong now = 0;
            foreach (var (frame, egress, step, knownInterface) in packets)
            {
                now += (ulong)step * 400_000_000;
                var verdict = twin.Process(frame, knownInterface ? 1u : 9u, egress ? (byte)1 : (byte)0, now);
                Assert.NotEqual(VerdictReason.None, verdict.Reason);
                Assert.Equal(verdict.Passed, !verdict.Reason.IsDrop());
                var newFlow = verdict.Reason is VerdictReason.PolicyAllowed or VerdictReason.DefaultAllowed;
                Assert.Equal(verdict.Reason.IsDrop() || (emitAllows && newFlow), verdict.Event is not null);
                Assert.True(!verdict.EventSent || verdict.Event is not null);
                Assert.True(verdict.FragmentWrites.Count == 0 || verdict.Packet.IsFirstFragment);
                Assert.True(verdict.ConntrackWrites.Count == 0 || verdict.Passed);
                Assert.True(verdict.PeerIdentity == 0 || verdict.DecidedBy != DecidedBy.None);
            }

            var suppressed = maps.Counters[DatapathConstants.CounterEventsSuppressed];
            Assert.Equal((ulong)packets.Length, maps.Counters.Aggregate(0ul, (a, b) => a + b) - suppressed);
        }, iter: 500);
}
