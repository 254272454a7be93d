using System.Globalization;
using System.Net;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Packets;
using Membrane.Datapath.Twin;
using Membrane.Policy.Icmp;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Tests.Twin;

/// <summary>Turns a <see cref="TwinScenario"/> into twin maps, and its packets into frames.</summary>
public sealed class ScenarioWorld
{
    public ScenarioWorld(TwinScenario scenario)
    {
        Scenario = scenario;
        var endpoint = scenario.Endpoint;
        Endpoint = new EndpointConfig
        {
            EndpointId = endpoint.Id,
            Identity = endpoint.Identity,
            PolicyId = EndpointConfig.PolicyIdOf(endpoint.Id, 0),
            Flags = (endpoint.IngressDefaultDeny ? EndpointConfig.FlagIngressDefaultDeny : 0) |
                (endpoint.EgressDefaultDeny ? EndpointConfig.FlagEgressDefaultDeny : 0),
        }.WithAddresses(endpoint.Ipv4 == "none" ? null : IPAddress.Parse(endpoint.Ipv4), endpoint.Ipv6 == "none" ? null : IPAddress.Parse(endpoint.Ipv6));
        Maps.SetEndpoint(endpoint.Ifindex, Endpoint);
        foreach (var (prefix, identity) in scenario.Ipcache)
        {
            Maps.SetIpcache(IPNetwork.Parse(prefix), identity);
        }

        foreach (var line in scenario.Policy)
        {
            var (key, value) = ParsePolicy(line, Endpoint.PolicyId);
            Maps.UpsertPolicy(key, value);
        }

        if (scenario.Config is { } config)
        {
            var types = config.AlwaysAllowedIcmpV6 is { } list
                ? list.Aggregate(0u, (bits, type) => bits | (1u << (type - DatapathConstants.AlwaysAllowedIcmpV6Base)))
                : DatapathConstants.AlwaysAllowedIcmpV6Types;
            Maps.Config = DatapathConfig.Default with
            {
                Flags = config.EmitAllowEvents ? DatapathConfig.FlagEmitAllowEvents : 0,
                EventRate = config.Rate ?? DatapathConstants.DefaultEventRate,
                EventBurst = config.Burst ?? DatapathConstants.DefaultEventBurst,
                AlwaysAllowedIcmpV6Types = types,
            };
        }

        Twin = new DatapathTwin(Maps);
    }

    public TwinScenario Scenario { get; }

    public EndpointConfig Endpoint { get; }

    public TwinMaps Maps { get; } = new();

    public DatapathTwin Twin { get; }

    /// <summary><c>ingress 2001 TCP 80 allow</c>, <c>egress any ICMP type 3 code 4 deny cookie 9</c>, <c>ingress any any deny</c>.</summary>
    public static (PolicyMapKey Key, PolicyMapValue Value) ParsePolicy(string line, uint policyId)
    {
        var words = new Queue<string>(line.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        string Next() => words.Count > 0 ? words.Dequeue() : throw new FormatException($"policy line ends early: {line}");

        var direction = ParseDirection(Next());
        var identityWord = Next();
        var identity = identityWord == "any" ? 0 : uint.Parse(identityWord, CultureInfo.InvariantCulture);
        var protocolWord = Next();
        var key = new PolicyMapKey { PolicyId = policyId, Identity = identity, Direction = direction };
        var value = new PolicyMapValue();
        if (protocolWord == "any")
        {
            key.PrefixLength = DatapathConstants.PolicyAnyProtocolPrefix;
            value.PrefixLengthOfValue = PolicyMapValue.AnyProtocol;
        }
        else
        {
            key.Protocol = ParseProtocol(protocolWord);
            key.PrefixLength = DatapathConstants.PolicyProtocolPrefix;
            var word = words.Peek();
            if (word == "type")
            {
                Next();
                var type = byte.Parse(Next(), CultureInfo.InvariantCulture);
                var bits = IcmpKeyValue.TypePrefixLength;
                byte code = 0;
                if (words.Peek() == "code")
                {
                    Next();
                    code = byte.Parse(Next(), CultureInfo.InvariantCulture);
                    bits = 16;
                }

                key.Value = IcmpKeyValue.Of(type, code);
                value.PrefixLengthOfValue = bits;
            }
            else if (char.IsAsciiDigit(word[0]))
            {
                Next();
                var parts = word.Split('/');
                key.Value = ushort.Parse(parts[0], CultureInfo.InvariantCulture);
                value.PrefixLengthOfValue = parts.Length > 1 ? byte.Parse(parts[1], CultureInfo.InvariantCulture) : (byte)16;
            }

            key.PrefixLength += value.PrefixLengthOfValue;
        }

        value.Flags = Next() switch
        {
            "allow" => 0,
            "deny" => PolicyMapValue.FlagDeny,
            var other => throw new FormatException($"allow or deny, not {other}: {line}"),
        };
        if (words.Count > 0 && Next() == "cookie")
        {
            value.Cookie = uint.Parse(Next(), CultureInfo.InvariantCulture);
        }

        return (key, value);
    }

    public static byte ParseDirection(string text) => text switch
    {
        "ingress" => DatapathConstants.DirectionIngress,
        "egress" => DatapathConstants.DirectionEgress,
        _ => throw new FormatException($"ingress or egress, not {text}"),
    };

    public static byte ParseProtocol(string text) => text.ToLowerInvariant() switch
    {
        "tcp" => IpProtocols.Tcp,
        "udp" => IpProtocols.Udp,
        "sctp" => IpProtocols.Sctp,
        "icmp" => IpProtocols.Icmp,
        "icmpv6" => IpProtocols.IcmpV6,
        _ => byte.Parse(text, CultureInfo.InvariantCulture),
    };

    public static VerdictReason ParseReason(string text) =>
        Enum.GetValues<VerdictReason>().FirstOrDefault(r => r.Describe() == text || string.Equals(r.ToString(), text, StringComparison.OrdinalIgnoreCase)) is var reason && reason != VerdictReason.None
            ? reason
            : throw new FormatException($"not a reason: {text}");

    public byte[] Frame(ScenarioPacket packet)
    {
        var frame = Builder(packet).Build();
        return packet.Cut is { } cut ? frame[..cut] : frame;
    }

    private static PacketBuilder Builder(ScenarioPacket packet)
    {
        var builder = PacketBuilder.Between(packet.Src, packet.Dst);
        if (packet.Ether is { } ether)
        {
            builder.EtherType(ether switch
            {
                "arp" => DatapathConstants.EtherTypeArp,
                "vlan" => DatapathConstants.EtherTypeVlan,
                "qinq" => DatapathConstants.EtherTypeQinQ,
                _ => throw new FormatException($"arp, vlan or qinq, not {ether}"),
            });
        }

        if (packet.Ttl is { } ttl)
        {
            builder.HopLimit(ttl);
        }

        foreach (var type in packet.Ext ?? [])
        {
            builder.ExtensionHeader(type, type == DatapathConstants.NextHeaderAuthentication ? 12 : 8);
        }

        if (packet.Icmp is { } icmp)
        {
            var family = builder.IsIPv6 ? IcmpFamily.IPv6 : IcmpFamily.IPv4;
            var type = byte.TryParse(icmp, CultureInfo.InvariantCulture, out var number)
                ? number
                : IcmpTypes.FindByName(family, icmp)?.Type ?? throw new FormatException($"not an {family} ICMP type: {icmp}");
            if (packet.About is { } about)
            {
                builder.IcmpError(type, packet.Code, Builder(about), embeddedLength: packet.EmbedLength);
            }
            else
            {
                builder.Icmp(type, packet.Code, ParsedPacket.IsEchoType(builder.IsIPv6 ? DatapathConstants.FamilyIPv6 : DatapathConstants.FamilyIPv4, type) ? (uint)packet.Id << 16 : 0);
            }
        }
        else
        {
            switch (packet.Proto?.ToLowerInvariant() ?? "udp")
            {
                case "tcp":
                    builder.Tcp(packet.Sport, packet.Dport, ParseFlags(packet.Flags));
                    break;
                case "udp":
                    builder.Udp(packet.Sport, packet.Dport);
                    break;
                case "sctp":
                    builder.Sctp(packet.Sport, packet.Dport);
                    break;
                case var other:
                    builder.Protocol(ParseProtocol(other)).Payload(new byte[8]);
                    break;
            }
        }

        if (packet.Fragment is { } fragment)
        {
            if (fragment.Offset != 0)
            {
                builder.Payload(new byte[16]);
            }

            builder.Fragment(fragment.Id, fragment.Offset, fragment.More);
        }

        return builder;
    }

    private static byte ParseFlags(string? flags) => (flags ?? "SYN").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
        .Aggregate((byte)0, (all, flag) => (byte)(all | flag.ToUpperInvariant() switch
        {
            "FIN" => PacketBuilder.TcpFin,
            "SYN" => PacketBuilder.TcpSyn,
            "RST" => PacketBuilder.TcpRst,
            "PSH" => PacketBuilder.TcpPsh,
            "ACK" => PacketBuilder.TcpAck,
            "NONE" => 0,
            _ => throw new FormatException($"not a TCP flag: {flag}"),
        }));
}
