using System.Collections.Immutable;
using System.Net;
using Membrane.Datapath.Encoding;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Packets;
using Membrane.Datapath.Twin;
using Membrane.Datapath.Writing;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Icmp;
using Membrane.Policy.Source;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Tests.Writing;

/// <summary>
/// docs/datapath.md §9: during any update from S1 to S2, every packet's verdict is its verdict under S1 or under S2.
/// For random pairs of states (after a random earlier state, so the idle buffer holds stale entries), the writer's
/// steps are applied one at a time, and after each step random flows are decided by the twin from the maps as they
/// are: a flow that S1 and S2 both allow must pass, one that both deny must drop, and any other must get one of the two.
/// </summary>
public sealed class PolicyUpdateAtomicityTests
{
    private const uint Ifindex = 3;
    private static readonly IPAddress Endpoint = IPAddress.Parse("10.0.0.1");
    private static readonly (IPAddress Address, uint Identity)[] Peers =
        [(IPAddress.Parse("10.0.1.1"), 301), (IPAddress.Parse("10.0.1.2"), 302), (IPAddress.Parse("192.0.2.1"), 9)];

    [Fact]
    public void Every_step_of_every_update_gives_each_flow_its_old_or_its_new_verdict()
    {
        var seed = Random.Shared.Next();
        var random = new Random(seed);
        var steps = 0;
        for (var pair = 0; pair < 300; pair++)
        {
            var (earlier, before, after) = (RandomState(random), RandomState(random), RandomState(random));
            var cookies = new PolicyCookieTable();
            var maps = Maps();
            var writer = new PolicyBufferWriter(Ifindex, new EndpointConfig { EndpointId = 5, Identity = 300 }, cookies);
            writer.Apply(earlier, maps);
            writer.Apply(before, maps);
            var flows = Enumerable.Range(0, 24).Select(_ => RandomFlow(random)).ToList();
            var verdictsBefore = flows.Select(f => Decide(maps, f.Frame, f.Direction)).ToList();
            var verdictsAfter = flows.Select(f => Decide(Installed(after, cookies), f.Frame, f.Direction)).ToList();

            foreach (var step in writer.Plan(after).Steps)
            {
                writer.Apply(step, maps);
                steps++;
                for (var i = 0; i < flows.Count; i++)
                {
                    var now = Decide(maps, flows[i].Frame, flows[i].Direction);
                    var allowed = verdictsBefore[i] == verdictsAfter[i] ? new[] { verdictsBefore[i] } : new[] { verdictsBefore[i], verdictsAfter[i] };
                    Assert.True(allowed.Contains(now),
                        $"seed {seed}, pair {pair}, after {step}: flow {flows[i].What} was {verdictsBefore[i]} under S1 and {verdictsAfter[i]} under S2, but {now} now");
                }
            }

            // And at the end it is S2 exactly.
            Assert.Equal(verdictsAfter, flows.Select(f => Decide(maps, f.Frame, f.Direction)).ToList());
        }

        Assert.True(steps > 1000, $"only {steps} steps were checked");
    }

    /// <summary>
    /// An agent that restarts resumes each endpoint's writer from the maps, with a new cookie table. Its first update
    /// must be as atomic as any other, and must end in the new state exactly; and the restored state written again is
    /// a no-op for packets whatever steps it takes.
    /// </summary>
    [Fact]
    public void A_writer_resumed_from_the_maps_updates_as_atomically_as_one_that_never_stopped()
    {
        var seed = Random.Shared.Next();
        var random = new Random(seed);
        for (var pair = 0; pair < 200; pair++)
        {
            var (earlier, before, after) = (RandomState(random), RandomState(random), RandomState(random));
            var maps = Maps();
            var stopped = new PolicyBufferWriter(Ifindex, new EndpointConfig { EndpointId = 5, Identity = 300 }, new PolicyCookieTable());
            stopped.Apply(earlier, maps);
            stopped.Apply(before, maps);
            if (random.Next(2) == 0)
            {
                stopped.Apply(before, maps); // sometimes the live buffer is the second one
            }

            var flows = Enumerable.Range(0, 24).Select(_ => RandomFlow(random)).ToList();
            var verdictsBefore = flows.Select(f => Decide(maps, f.Frame, f.Direction)).ToList();

            var cookies = new PolicyCookieTable();
            var resumed = PolicyBufferWriter.Resume(Ifindex, maps.Endpoints[Ifindex], maps.Policy.Entries.Select(e => KeyValuePair.Create(e.Key, e.Value)), cookies);
            Assert.Equal(stopped.LiveBuffer, resumed.LiveBuffer);

            // The same state again: every step leaves every verdict as it was.
            foreach (var step in resumed.Plan(before).Steps)
            {
                resumed.Apply(step, maps);
                Assert.Equal(verdictsBefore, flows.Select(f => Decide(maps, f.Frame, f.Direction)).ToList());
            }

            var verdictsAfter = flows.Select(f => Decide(Installed(after, cookies), f.Frame, f.Direction)).ToList();
            foreach (var step in resumed.Plan(after).Steps)
            {
                resumed.Apply(step, maps);
                for (var i = 0; i < flows.Count; i++)
                {
                    var now = Decide(maps, flows[i].Frame, flows[i].Direction);
                    Assert.True(now == verdictsBefore[i] || now == verdictsAfter[i],
                        $"seed {seed}, pair {pair}, after {step}: flow {flows[i].What} was {verdictsBefore[i]} and will be {verdictsAfter[i]}, but {now} now");
                }
            }

            Assert.Equal(verdictsAfter, flows.Select(f => Decide(maps, f.Frame, f.Direction)).ToList());

            // Nothing of the old process's entries is left over once an update has written both buffers: each holds the
            // state, and the writer's view is the map's.
            resumed.Apply(earlier, maps);
            var expected = PolicyMapEncoder.Encode(earlier, 0, new PolicyCookieTable()).Count;
            Assert.Equal(expected, maps.Policy.Entries.Count(e => e.Key.PolicyId == maps.Endpoints[Ifindex].PolicyId));
            Assert.Equal(2 * expected, maps.Policy.Count);
            Assert.Equal(maps.Policy.Count, resumed.Entries);
        }
    }

    [Fact]
    public void An_update_writes_its_delta_into_each_buffer_around_one_switch_and_frees_what_it_no_longer_needs()
    {
        var cookies = new PolicyCookieTable();
        var maps = Maps();
        var writer = new PolicyBufferWriter(Ifindex, new EndpointConfig { EndpointId = 5, Identity = 300 }, cookies);
        var origin = Origin(0);
        var first = State((Key(TrafficDirection.Ingress, 301, IpProtocols.Tcp, 80), Verdict.Allow));
        var second = State((Key(TrafficDirection.Ingress, 301, IpProtocols.Tcp, 80), Verdict.Allow), (Key(TrafficDirection.Ingress, 302, IpProtocols.Tcp, 443), Verdict.Allow));
        var third = State((Key(TrafficDirection.Ingress, 302, IpProtocols.Tcp, 443), Verdict.Allow));

        Assert.Equal(3, writer.Apply(first, maps)); // one entry into buffer 0, the switch, the same entry into buffer 1
        Assert.Equal(3, writer.Apply(second, maps)); // 443 into buffer 1, the switch, 443 into buffer 0
        Assert.Equal(3, writer.Apply(third, maps)); // 80 out of buffer 0, the switch, 80 out of buffer 1
        Assert.Equal(0, writer.LiveBuffer);
        Assert.True(writer.Plan(third).IsEmpty); // nothing changed: nothing written
        Assert.Equal(2, maps.Policy.Count); // both buffers hold third, and nothing of first or second is left
        Assert.Equal(3, writer.Apply(State(), maps)); // 443 out of buffer 1, the switch, 443 out of buffer 0
        Assert.Equal(0, maps.Policy.Count);
        Assert.Equal(0, writer.Entries);

        static EndpointMapState State(params (PolicyKey Key, Verdict Verdict)[] entries) => new(
            entries.ToImmutableDictionary(e => e.Key, e => new PolicyEntry(e.Verdict, [Origin(0)])), [Origin(0)], []);
    }

    private static TwinMaps Maps()
    {
        var maps = new TwinMaps();
        foreach (var (address, identity) in Peers.Where(p => p.Identity != 9))
        {
            maps.SetIpcache(new IPNetwork(address, 32), identity);
        }

        return maps;
    }

    private static TwinMaps Installed(EndpointMapState state, PolicyCookieTable cookies)
    {
        var maps = Maps();
        new PolicyBufferWriter(Ifindex, new EndpointConfig { EndpointId = 5, Identity = 300 }, cookies).Apply(state, maps);
        return maps;
    }

    /// <summary>The verdict of a new flow: conntrack is emptied first, so the policy decides and not an earlier probe.</summary>
    private static bool Decide(TwinMaps maps, byte[] frame, byte direction)
    {
        maps.Conntrack.Clear();
        maps.Fragments.Clear();
        return new DatapathTwin(maps).Process(frame, Ifindex, direction, 1).Passed;
    }

    private static (byte[] Frame, byte Direction, string What) RandomFlow(Random random)
    {
        var (peer, _) = Peers[random.Next(Peers.Length)];
        var direction = (byte)random.Next(2);
        var (source, destination) = direction == DatapathConstants.DirectionEgress ? (Endpoint, peer) : (peer, Endpoint);
        var builder = PacketBuilder.Between(source, destination);
        var (what, packet) = random.Next(4) switch
        {
            0 => ("TCP 80", builder.Tcp(40000, 80)),
            1 => ("UDP 53", builder.Udp(40000, 53)),
            2 => ("echo request", builder.EchoRequest(7)),
            _ => ("ICMP 3/4", builder.Icmp(3, 4)),
        };
        return (packet.Build(), direction, $"{what} {source} -> {destination}");
    }

    private static EndpointMapState RandomState(Random random)
    {
        var entries = ImmutableDictionary.CreateBuilder<PolicyKey, PolicyEntry>();
        var identities = new uint[] { 0, 301, 302, 9 };
        for (var i = random.Next(0, 12); i > 0; i--)
        {
            var direction = random.Next(2) == 0 ? TrafficDirection.Ingress : TrafficDirection.Egress;
            var identity = identities[random.Next(identities.Length)];
            var key = random.Next(5) switch
            {
                0 => new PolicyKey(direction, identity, IpProtocols.Any, 0, 0),
                1 => Key(direction, identity, IpProtocols.Tcp, 80),
                2 => Key(direction, identity, IpProtocols.Udp, 53),
                3 => new PolicyKey(direction, identity, IpProtocols.Icmp, IcmpKeyValue.OfType(8), IcmpKeyValue.TypePrefixLength),
                _ => new PolicyKey(direction, identity, IpProtocols.Icmp, IcmpKeyValue.OfType(3), IcmpKeyValue.TypePrefixLength),
            };
            entries[key] = new PolicyEntry(random.Next(3) == 0 ? Verdict.Deny : Verdict.Allow, [Origin(random.Next(3))]);
        }

        ImmutableArray<RuleOrigin> DefaultDeny() => random.Next(2) == 0 ? [] : [Origin(0)];
        return new EndpointMapState(entries.ToImmutable(), DefaultDeny(), DefaultDeny());
    }

    private static PolicyKey Key(TrafficDirection direction, uint identity, byte protocol, ushort port) => new(direction, identity, protocol, port, 16);

    private static RuleOrigin Origin(int i) => new("CiliumNetworkPolicy", "default", $"rule{i}", "spec.ingress[0]", new SourcePosition("atomic.yaml", i + 1, 1));
}
