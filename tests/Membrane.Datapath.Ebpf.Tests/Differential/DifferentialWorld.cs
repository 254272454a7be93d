using System.Collections.Immutable;
using System.Net;
using Membrane.Datapath.Layout;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Source;
using Membrane.Policy.Icmp;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Ebpf.Tests.Differential;

/// <summary>
/// One random world of the differential test: an endpoint with its addresses (sometimes only one family), peers in the ipcache (hosts and a
/// CIDR) and out of it (world), a router on the path, and a random map state for the endpoint, with entries for the
/// peers' identities and for any identity, every protocol the datapath tells apart, port and ICMP prefixes, and
/// random default-deny bits.
/// </summary>
internal sealed class DifferentialWorld
{
    public const uint Ifindex = 1; // BPF_PROG_TEST_RUN runs on the loopback device unless told otherwise

    private static readonly byte[] Protocols = [IpProtocols.Any, IpProtocols.Tcp, IpProtocols.Udp, IpProtocols.Sctp, IpProtocols.Icmp, IpProtocols.IcmpV6, 47];

    public DifferentialWorld(Random random, uint endpointId)
    {
        EndpointId = endpointId;
        // The endpoint's own addresses, the only sources its egress packets may carry; one world in ten lacks an address
        // of one family, so that every packet of that family leaving it is dropped (docs/datapath.md §2 step 3a).
        var missing = random.Next(20);
        Endpoint = new EndpointConfig { EndpointId = endpointId, Identity = 300 }
            .WithAddresses(missing == 0 ? null : Endpoint4, missing == 1 ? null : Endpoint6);
        var peers = new List<(IPAddress Address, uint Identity)>
        {
            (IPAddress.Parse("10.0.1.1"), 301), (IPAddress.Parse("10.0.1.2"), 302), (IPAddress.Parse("fd00:1::1"), 301),
            (IPAddress.Parse("fd00:1::2"), 303), (IPAddress.Parse("10.1.7.7"), CidrIdentity4), (IPAddress.Parse("fd00:77::7"), CidrIdentity6),
        };
        Ipcache =
        [
            .. peers.Take(4).Select(p => (new IPNetwork(p.Address, p.Address.GetAddressBytes().Length * 8), p.Identity)),
            (IPNetwork.Parse("10.1.0.0/16"), CidrIdentity4),
            (IPNetwork.Parse("fd00:77::/32"), CidrIdentity6),
        ];
        Peers4 = [IPAddress.Parse("10.0.1.1"), IPAddress.Parse("10.0.1.2"), IPAddress.Parse("10.1.7.7"), IPAddress.Parse("192.0.2.9")];
        Peers6 = [IPAddress.Parse("fd00:1::1"), IPAddress.Parse("fd00:1::2"), IPAddress.Parse("fd00:77::7"), IPAddress.Parse("2001:db8::9")];
        State = RandomState(random);
    }

    public const uint CidrIdentity4 = 16_777_300;
    public const uint CidrIdentity6 = 16_777_301;

    public uint EndpointId { get; }

    public EndpointConfig Endpoint { get; }

    public IPAddress Endpoint4 { get; } = IPAddress.Parse("10.0.0.1");

    public IPAddress Endpoint6 { get; } = IPAddress.Parse("fd00::1");

    public IPAddress Router4 { get; } = IPAddress.Parse("10.9.9.9");

    public IPAddress Router6 { get; } = IPAddress.Parse("fd00:9::9");

    public IReadOnlyList<IPAddress> Peers4 { get; }

    public IReadOnlyList<IPAddress> Peers6 { get; }

    public IReadOnlyList<(IPNetwork Prefix, uint Identity)> Ipcache { get; }

    public EndpointMapState State { get; }

    private static EndpointMapState RandomState(Random random)
    {
        var identities = new uint[] { PolicyKey.AnyIdentity, 301, 302, 303, CidrIdentity4, CidrIdentity6, 9, 10 };
        var origins = Enumerable.Range(0, 4)
            .Select(i => new RuleOrigin("CiliumNetworkPolicy", "default", $"rule{i}", $"spec.ingress[{i}]", new SourcePosition("differential.yaml", i + 1, 1)))
            .ToArray();
        var entries = ImmutableDictionary.CreateBuilder<PolicyKey, PolicyEntry>();
        var count = random.Next(0, 40);
        for (var i = 0; i < count; i++)
        {
            var protocol = Protocols[random.Next(Protocols.Length)];
            var (value, prefix) = protocol switch
            {
                IpProtocols.Any => ((ushort)0, (byte)0),
                IpProtocols.Icmp or IpProtocols.IcmpV6 => RandomIcmp(random, protocol),
                _ => RandomPort(random),
            };
            var key = new PolicyKey(
                random.Next(2) == 0 ? TrafficDirection.Ingress : TrafficDirection.Egress,
                identities[random.Next(identities.Length)], protocol, value, prefix);
            entries[key] = new PolicyEntry(random.Next(4) == 0 ? Verdict.Deny : Verdict.Allow, [origins[random.Next(origins.Length)]]);
        }

        ImmutableArray<RuleOrigin> DefaultDeny() => random.Next(3) == 0 ? [] : [origins[0]];
        return new EndpointMapState(entries.ToImmutable(), DefaultDeny(), DefaultDeny());
    }

    /// <summary>An ICMP entry: a whole type (prefix 8), a code range, one code, or every type.</summary>
    private static (ushort, byte) RandomIcmp(Random random, byte protocol)
    {
        var types = protocol == IpProtocols.Icmp ? new byte[] { 0, 3, 8, 11, 13 } : [1, 2, 128, 129, 135];
        var type = types[random.Next(types.Length)];
        return random.Next(5) switch
        {
            0 => (0, 0),
            1 => (IcmpKeyValue.Of(type, 0), 14), // codes 0-3
            2 => (IcmpKeyValue.Of(type, (byte)random.Next(5)), 16),
            _ => (IcmpKeyValue.OfType(type), IcmpKeyValue.TypePrefixLength),
        };
    }

    private static (ushort, byte) RandomPort(Random random)
    {
        var ports = new ushort[] { 22, 53, 80, 443, 8080 };
        return random.Next(4) switch
        {
            0 => (0, 0),
            1 => (8080, 13), // 8080-8087
            _ => (ports[random.Next(ports.Length)], 16),
        };
    }
}
