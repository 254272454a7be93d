using System.Net;
using System.Net.Sockets;
using Membrane.Datapath.Encoding;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Packets;
using Membrane.Datapath.Twin;
using Membrane.Datapath.Writing;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Reference;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Engine.Tests;
using EngineWorld = Membrane.Policy.Engine.Tests.ScenarioWorld;
using Membrane.Policy.Values;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Membrane.Datapath.Tests.Twin;

/// <summary>
/// The chain of checks: the engine's reference evaluator and its map state are held to each other by the engine's
/// tests; here the twin is held to the map state, on the same YAML scenarios, each flow turned into a packet and run
/// through the twin over the maps the writer and the encoders fill. Every flow must get the scenario's verdict, as a
/// new flow decided by policy.
/// </summary>
public sealed class EngineScenarioPacketTests
{
    private const uint Ifindex = 4;
    private static readonly string Directory = Path.Combine(AppContext.BaseDirectory, "EngineScenarios");

    public static TheoryData<string, string> Cases() =>
        new(Membrane.Testing.ScenarioFiles.Cases(Directory, file => Load(file).Select(s => s.Name)));

    [Fact]
    public void Every_engine_scenario_is_here_and_most_flows_become_packets()
    {
        Assert.True(Cases().Count >= 40, $"only {Cases().Count} scenarios");
        var scenarios = System.IO.Directory.GetFiles(Directory, "*.yaml").SelectMany(Load).ToList();
        var flows = scenarios.Sum(s => s.Flows.Count);
        var checkedFlows = scenarios.Sum(s => Check(s).Checked);
        Assert.True(checkedFlows >= flows * 9 / 10, $"only {checkedFlows} of {flows} flows became packets");
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_twin_gives_each_scenario_flow_the_map_states_verdict(string file, string name)
    {
        var (_, failures) = Check(Load(Path.Combine(Directory, file)).Single(s => s.Name == name));
        Assert.True(failures.Count == 0, string.Join("\n", failures));
    }

    private static (int Checked, List<string> Failures) Check(EngineScenario scenario)
    {
        var world = new EngineWorld(scenario);
        var state = new PolicyResolver(world.Rules, world.Identities, world.Endpoint).State;
        var addresses = new Addresses(world.Identities);
        var maps = new TwinMaps();
        foreach (var (key, value) in addresses.Ipcache)
        {
            maps.Ipcache.Update(key, value);
        }

        // The endpoint's packets leave from its own addresses, the ones the ipcache gives it (docs/datapath.md §2 step 3a).
        var endpoint = new EndpointConfig { EndpointId = 9, Identity = world.Endpoint.Id }
            .WithAddresses(addresses.Of(world.Endpoint, AddressFamily.InterNetwork), addresses.Of(world.Endpoint, AddressFamily.InterNetworkV6));
        new PolicyBufferWriter(Ifindex, endpoint, new PolicyCookieTable()).Apply(state, maps);

        var failures = new List<string>();
        var checkedFlows = 0;
        foreach (var (line, expectedText) in scenario.Flows)
        {
            var flow = world.ParseFlow(line);
            var expected = expectedText == "allow";
            var peerWord = line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            var family = IpProtocols.IsIcmp(flow.Protocol)
                ? flow.Protocol == IpProtocols.IcmpV6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork
                : peerWord.StartsWith("ip:", StringComparison.Ordinal) ? IPAddress.Parse(peerWord[3..]).AddressFamily
                : flow.Peer.Prefix?.Family ?? (flow.Peer.Id == ReservedIdentities.WorldIPv6.Id ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork);
            var peer = peerWord.StartsWith("ip:", StringComparison.Ordinal) ? IPAddress.Parse(peerWord[3..]) : addresses.Of(flow.Peer, family);
            if (peer is null || addresses.Of(world.Endpoint, family) is not { } local)
            {
                // Only a reserved identity that no address resolves to (host, health, plain world) may be left out:
                // the datapath's ipcache never gives it.
                if (!flow.Peer.IsReserved)
                {
                    failures.Add($"{line}: no address of {flow.Peer} maps back to it");
                }

                continue;
            }

            checkedFlows++;
            var (source, destination) = flow.Direction == TrafficDirection.Ingress ? (peer, local) : (local, peer);
            var builder = PacketBuilder.Between(source, destination);
            builder = flow.Protocol switch
            {
                IpProtocols.Tcp => builder.Tcp(40000, flow.Port),
                IpProtocols.Udp => builder.Udp(40000, flow.Port),
                IpProtocols.Sctp => builder.Sctp(40000, flow.Port),
                IpProtocols.Icmp or IpProtocols.IcmpV6 => builder.Icmp(flow.IcmpType, flow.IcmpCode),
                _ => builder.Protocol(flow.Protocol),
            };
            maps.Conntrack.Clear();
            var direction = flow.Direction == TrafficDirection.Ingress ? DatapathConstants.DirectionIngress : DatapathConstants.DirectionEgress;
            var verdict = new DatapathTwin(maps).Process(builder.Build(), Ifindex, direction, 1);
            var decision = state.Decide(flow.Direction, flow.Peer.Id, flow.Protocol, flow.L4Value);
            var decided = verdict.Reason is VerdictReason.PolicyAllowed or VerdictReason.DefaultAllowed or VerdictReason.PolicyDenied or VerdictReason.DefaultDenied;
            if (!decided || verdict.Passed != expected || decision.IsAllowed != expected || verdict.PeerIdentity != Addresses.SeenAs(flow.Peer, family))
            {
                failures.Add($"{line}: expected {expectedText}, twin {verdict.Reason} (peer {verdict.PeerIdentity}), map state {decision.Verdict}");
            }
        }

        return (checkedFlows, failures);
    }

    private static List<EngineScenario> Load(string file) =>
        new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build()
            .Deserialize<List<EngineScenario>>(File.ReadAllText(file));

    /// <summary>
    /// An address for each identity, such that the ipcache (from <see cref="IpcacheEncoder"/>, plus a made-up host
    /// address for each endpoint the scenario gave none) maps it back to that identity, as
    /// <see cref="IdentitySet.Lookup"/> does.
    /// </summary>
    private sealed class Addresses
    {
        private readonly IdentitySet _identities;
        private readonly Dictionary<(uint, AddressFamily), IPAddress> _made = [];

        public Addresses(IdentitySet identities)
        {
            _identities = identities;
            Ipcache = IpcacheEncoder.Encode(identities);
            foreach (var identity in identities.All.Where(i => i.IsEndpoint && i.Addresses.IsEmpty))
            {
                var v4 = new IPAddress([10, 250, (byte)(identity.Id >> 8), (byte)identity.Id]);
                var v6 = IPAddress.Parse($"fd00:250::{identity.Id:x}");
                foreach (var address in new[] { v4, v6 })
                {
                    Ipcache[IpcacheKey.Host(address)] = new IpcacheValue { Identity = identity.Id };
                    _made[(identity.Id, address.AddressFamily)] = address;
                }
            }
        }

        public Dictionary<IpcacheKey, IpcacheValue> Ipcache { get; }

        /// <summary>The identity the datapath sees for a peer: an address outside every prefix is world-ipv4 or
        /// world-ipv6, never the plain world entity, which stands for both.</summary>
        public static uint SeenAs(Identity identity, AddressFamily family) => identity.Id == ReservedIdentities.World.Id
            ? family == AddressFamily.InterNetwork ? ReservedIdentities.WorldIPv4.Id : ReservedIdentities.WorldIPv6.Id
            : identity.Id;

        public IPAddress? Of(Identity identity, AddressFamily family)
        {
            if (_made.TryGetValue((identity.Id, family), out var made))
            {
                return made;
            }

            var candidate = identity.Addresses.FirstOrDefault(a => a.AddressFamily == family)
                ?? (identity.Prefix is { } prefix && prefix.Family == family ? prefix.Network : null)
                ?? (identity.Id is var id && (id == ReservedIdentities.World.Id || id == ReservedIdentities.WorldIPv4.Id) && family == AddressFamily.InterNetwork ? IPAddress.Parse("192.0.2.77") : null)
                ?? (identity.Id is var id6 && (id6 == ReservedIdentities.World.Id || id6 == ReservedIdentities.WorldIPv6.Id) && family == AddressFamily.InterNetworkV6 ? IPAddress.Parse("2001:db8::77") : null);
            return candidate is not null && SeenAs(identity, family) == _identities.Lookup(candidate).Id ? candidate : null;
        }
    }
}
