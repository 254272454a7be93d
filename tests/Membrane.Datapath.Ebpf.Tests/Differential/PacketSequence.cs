using System.Buffers.Binary;
using System.Net;
using Membrane.Datapath.Packets;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Ebpf.Tests.Differential;

/// <summary>
/// Random packets for one world, in a sequence that builds state: most packets answer, continue or embed an earlier
/// one (replies, echo replies, echo requests that reuse an identifier the other way, ICMP errors about a flow from
/// its peer or from a router, later fragments), the rest are fresh flows (some leaving the endpoint from a forged
/// source), neighbour discovery, and broken packets
/// (truncated at any length, wrong version or IHL, short TCP offset, VLAN tags, ARP, too many extension headers).
/// </summary>
internal sealed class PacketSequence(Random random, DifferentialWorld world)
{
    private readonly List<(PacketSpec Spec, byte Direction)> _sent = [];
    private readonly List<(PacketSpec Spec, byte Direction, uint Id, bool IPv6)> _datagrams = [];
    private uint _nextFragmentId = 1;

    /// <summary>The next packet: its frame, the direction of the program that sees it, and what it is, for messages.</summary>
    public (byte[] Frame, byte Direction, string What) Next()
    {
        var choice = random.Next(100);
        if (choice < 30 || _sent.Count == 0)
        {
            return Send(Fresh(out var direction), direction, "fresh");
        }

        var (earlier, earlierDirection) = _sent[random.Next(_sent.Count)];
        var opposite = (byte)(1 - earlierDirection);
        return choice switch
        {
            < 45 => Send(earlier.Reversed(), opposite, "reply"),
            < 52 => Send(earlier, earlierDirection, "again"),
            < 57 when earlier.IsEcho => Send(EchoRequestOf(earlier.Reversed()), opposite, "echo request reusing an identifier"),
            < 57 => Send(earlier with { TcpFlags = random.Next(2) == 0 ? PacketBuilder.TcpFin : PacketBuilder.TcpRst }, earlierDirection, "FIN or RST"),
            < 70 => RelatedError(earlier, earlierDirection),
            < 80 => FragmentOf(),
            < 88 => NeighbourDiscovery(),
            _ => Broken(),
        };
    }

    private (byte[], byte, string) Send(PacketSpec spec, byte direction, string what)
    {
        _sent.Add((spec, direction));
        var builder = spec.ToBuilder();
        if (spec.IsIPv6 && random.Next(5) == 0)
        {
            ExtensionHeaders(builder, random.Next(1, 5));
        }
        else if (!spec.IsIPv6 && random.Next(6) == 0)
        {
            builder.IPv4Options(new byte[random.Next(1, 11) * 4]);
        }

        return (builder.Build(), direction, $"{what}: {spec}");
    }

    private PacketSpec Fresh(out byte direction)
    {
        direction = (byte)random.Next(2);
        var ipv6 = random.Next(2) == 0;
        var local = ipv6 ? world.Endpoint6 : world.Endpoint4;
        var peers = ipv6 ? world.Peers6 : world.Peers4;
        var peer = peers[random.Next(peers.Count)];
        if (direction == DatapathConstants.DirectionEgress && random.Next(10) == 0)
        {
            // A forged source: a peer's (another endpoint's) address, the unspecified one, or a link-local one.
            local = random.Next(3) switch
            {
                0 => peers[random.Next(peers.Count)],
                1 => ipv6 ? IPAddress.IPv6Any : IPAddress.Any,
                _ => ipv6 ? IPAddress.Parse("fe80::1") : IPAddress.Parse("169.254.0.1"),
            };
        }

        var (source, destination) = direction == DatapathConstants.DirectionEgress ? (local, peer) : (peer, local);
        var ports = new ushort[] { 22, 53, 80, 443, 8080, 8085, 40000 };
        ushort Port() => ports[random.Next(ports.Length)];
        var icmp = ipv6 ? IpProtocols.IcmpV6 : IpProtocols.Icmp;
        return random.Next(8) switch
        {
            0 or 1 => new PacketSpec(source, destination, IpProtocols.Tcp, (ushort)random.Next(30000, 30004), Port()) { TcpFlags = RandomTcpFlags() },
            2 => new PacketSpec(source, destination, IpProtocols.Udp, (ushort)random.Next(30000, 30004), Port()),
            3 => new PacketSpec(source, destination, IpProtocols.Sctp, (ushort)random.Next(30000, 30004), Port()),
            4 or 5 => EchoRequestOf(new PacketSpec(source, destination, icmp, 0, 0)),
            6 => new PacketSpec(source, destination, icmp, 0, 0) { IcmpType = RandomIcmpType(ipv6), IcmpCode = (byte)random.Next(5) },
            _ => new PacketSpec(source, destination, random.Next(2) == 0 ? (byte)47 : ipv6 ? IpProtocols.Icmp : IpProtocols.IcmpV6, 0, 0),
        };
    }

    /// <summary>An echo request on the spec's addresses, with one of a few identifiers so that identifiers repeat.</summary>
    private PacketSpec EchoRequestOf(PacketSpec spec)
    {
        var identifier = (ushort)random.Next(1, 4);
        return spec with
        {
            Protocol = spec.IsIPv6 ? IpProtocols.IcmpV6 : IpProtocols.Icmp,
            IcmpType = spec.IsIPv6 ? DatapathConstants.Icmp6EchoRequest : DatapathConstants.Icmp4EchoRequest,
            IcmpCode = 0,
            SourcePort = identifier,
            DestinationPort = identifier,
        };
    }

    private byte RandomIcmpType(bool ipv6)
    {
        var types = ipv6 ? new byte[] { 1, 2, 3, 4, 128, 129, 135, 136, 137 } : [0, 3, 4, 8, 11, 12, 13, 14];
        return types[random.Next(types.Length)];
    }

    private byte RandomTcpFlags() => random.Next(6) switch
    {
        0 => PacketBuilder.TcpAck,
        1 => PacketBuilder.TcpFin | PacketBuilder.TcpAck,
        2 => PacketBuilder.TcpRst,
        _ => PacketBuilder.TcpSyn,
    };

    /// <summary>
    /// An ICMP error about an earlier packet, sent back towards that packet's sender (so seen in the other direction),
    /// from the packet's destination or from a router on the path; or, one time in four, about a packet never sent.
    /// </summary>
    private (byte[], byte, string) RelatedError(PacketSpec earlier, byte earlierDirection)
    {
        var spoofed = random.Next(4) == 0;
        var invoking = spoofed ? earlier with { SourcePort = 55555, DestinationPort = 55556, IcmpType = 8 } : earlier;
        var ipv6 = earlier.IsIPv6;
        var from = random.Next(2) == 0 ? earlier.Destination : ipv6 ? world.Router6 : world.Router4;
        var types = ipv6 ? new (byte, byte)[] { (1, 4), (2, 0), (3, 0), (4, 1) } : [(3, 4), (3, 3), (11, 0), (12, 0)];
        var (type, code) = types[random.Next(types.Length)];
        var embedded = random.Next(4) switch
        {
            0 => ipv6 ? 48 : 28,
            1 => random.Next(1, 48),
            _ => (int?)null,
        };
        var builder = PacketBuilder.Between(from, earlier.Source).IcmpError(type, code, invoking.ToBuilder(), type == 2 || code == 4 ? 1280u : 0, embedded);
        return (builder.Build(), (byte)(1 - earlierDirection), $"{(spoofed ? "spoofed " : "")}ICMP error {type}/{code} from {from} about {invoking}, {embedded?.ToString() ?? "all"} bytes");
    }

    /// <summary>A first fragment of a new datagram, or a later fragment of one (or of one never begun).</summary>
    private (byte[], byte, string) FragmentOf()
    {
        if (_datagrams.Count > 0 && random.Next(3) > 0)
        {
            var (spec, direction, id, ipv6) = _datagrams[random.Next(_datagrams.Count)];
            var later = spec.ToBuilder().Payload(new byte[64]).Fragment(id, 8 * random.Next(1, 100), more: random.Next(2) == 0);
            return (later.Build(), direction, $"later fragment {id} of {spec}");
        }

        var fresh = Fresh(out var freshDirection) with { PayloadLength = 64 };
        var datagram = _nextFragmentId++;
        if (random.Next(5) == 0)
        {
            var orphan = fresh.ToBuilder().Payload(new byte[64]).Fragment(datagram + 1000, 64, more: false);
            return (orphan.Build(), freshDirection, $"later fragment without a first: {fresh}");
        }

        _datagrams.Add((fresh, freshDirection, datagram, fresh.IsIPv6));
        _sent.Add((fresh, freshDirection));
        return (fresh.ToBuilder().Fragment(datagram, 0, more: true).Build(), freshDirection, $"first fragment {datagram}: {fresh}");
    }

    /// <summary>Router and neighbour discovery, MLD and redirects, with the right hop limit or another, either way.</summary>
    private (byte[], byte, string) NeighbourDiscovery()
    {
        var types = new byte[] { 130, 131, 132, 133, 134, 135, 136, 137, 141, 142, 143, 148, 149, 151, 152, 153, 128 };
        var type = types[random.Next(types.Length)];
        var hopLimit = (byte)(random.Next(3) switch { 0 => 255, 1 => 1, _ => 64 });
        var direction = (byte)random.Next(2);
        // The endpoint's own side: mostly its own or a link-local address, sometimes :: (duplicate address detection),
        // sometimes another's global address (which leaving it is no neighbour discovery, but a forged source).
        var local = random.Next(6) switch
        {
            0 => IPAddress.Parse("fe80::1"),
            1 => IPAddress.IPv6Any,
            2 => world.Peers6[random.Next(world.Peers6.Count)],
            _ => world.Endpoint6,
        };
        // The other side: on the link (link-local, or link-local multicast), or beyond it (a peer's global address).
        var peer = random.Next(5) switch
        {
            0 => IPAddress.Parse("fe80::2"),
            1 => IPAddress.Parse("ff02::1:ff00:1"),
            2 => world.Peers6[random.Next(world.Peers6.Count)],
            _ => IPAddress.IPv6Any,
        };
        var (source, destination) = direction == DatapathConstants.DirectionEgress ? (local, peer) : (peer, local);
        var builder = PacketBuilder.Between(source, destination).Icmp(type, 0).HopLimit(hopLimit);
        if (type is 130 or 131 or 132 or 143 && random.Next(2) == 0)
        {
            builder.ExtensionHeader(DatapathConstants.NextHeaderHopByHop); // MLD carries a router alert (RFC 2711)
        }

        if (random.Next(8) == 0)
        {
            // Fragmented ND is not ND (RFC 6980 §5), and neither is ND in an atomic fragment (offset 0, M clear).
            builder.Payload(new byte[64]).Fragment(_nextFragmentId++, 0, more: random.Next(2) == 0);
        }

        return (builder.Build(), direction, $"ICMPv6 type {type} hop limit {hopLimit}: {source} -> {destination}");
    }

    private (byte[], byte, string) Broken()
    {
        var (spec, direction) = _sent.Count > 0 ? _sent[random.Next(_sent.Count)] : (Fresh(out var d), d);
        var frame = spec.ToBuilder().Build();
        var ipOffset = DatapathConstants.EthernetHeaderLength;
        switch (random.Next(8))
        {
            case 0:
                // Any length from a bare Ethernet header up: BPF_PROG_TEST_RUN needs 14 bytes.
                return (frame[..random.Next(DatapathConstants.EthernetHeaderLength, frame.Length)], direction, $"truncated {spec}");
            case 1:
                frame[ipOffset] = (byte)((frame[ipOffset] & 0x0F) | (random.Next(16) << 4));
                return (frame, direction, $"version {frame[ipOffset] >> 4}: {spec}");
            case 2 when !spec.IsIPv6:
                frame[ipOffset] = (byte)(0x40 | random.Next(5));
                return (frame, direction, $"IHL {frame[ipOffset] & 15}: {spec}");
            case 3:
                var lengthOffset = ipOffset + (spec.IsIPv6 ? 4 : 2);
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(lengthOffset), (ushort)random.Next(0, 2000));
                return (frame, direction, $"IP length {BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(lengthOffset))}: {spec}");
            case 4:
                var vlan = random.Next(2) == 0 ? DatapathConstants.EtherTypeVlan : DatapathConstants.EtherTypeQinQ;
                return (spec.ToBuilder().EtherType(vlan).Build(), direction, $"ethertype 0x{vlan:x4}");
            case 5:
                return (spec.ToBuilder().EtherType(DatapathConstants.EtherTypeArp).Build(), direction, "ARP");
            case 6 when spec.IsIPv6:
                var many = spec.ToBuilder();
                ExtensionHeaders(many, random.Next(4, 7));
                return (many.Build(), direction, $"extension headers: {spec}");
            default:
                var tcp = new PacketSpec(spec.Source, spec.Destination, IpProtocols.Tcp, 1000, 80).ToBuilder().Build();
                var l4 = ipOffset + (spec.IsIPv6 ? DatapathConstants.IPv6HeaderLength : DatapathConstants.IPv4MinimumHeaderLength);
                tcp[l4 + 12] = (byte)(random.Next(5) << 4);
                return (tcp, direction, $"TCP data offset {tcp[l4 + 12] >> 4}");
        }
    }

    private void ExtensionHeaders(PacketBuilder builder, int count)
    {
        var types = new byte[]
        {
            DatapathConstants.NextHeaderHopByHop, DatapathConstants.NextHeaderRouting, DatapathConstants.NextHeaderDestinationOptions,
            DatapathConstants.NextHeaderAuthentication,
        };
        for (var i = 0; i < count; i++)
        {
            var type = types[random.Next(types.Length)];
            builder.ExtensionHeader(type, type == DatapathConstants.NextHeaderAuthentication ? 12 + 4 * random.Next(3) : 8 * random.Next(1, 4));
        }
    }
}
