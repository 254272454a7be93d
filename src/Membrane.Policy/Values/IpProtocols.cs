using System.Globalization;
using Membrane.Policy.Icmp;

namespace Membrane.Policy.Values;

/// <summary>
/// The one protocol vocabulary: IANA IP protocol numbers, the names policies and people write for
/// them, and how a <c>toPorts</c> protocol (<see cref="L4Protocol"/>) maps to numbers. Policy text,
/// map keys, trace and the datapath all read protocol names through this table.
/// </summary>
public static class IpProtocols
{
    /// <summary>Not a protocol: map keys use 0 for "every protocol". (0 is IPv6 Hop-by-Hop, an extension header no L4 policy sees.)</summary>
    public const byte Any = 0;
    public const byte Icmp = 1;
    public const byte Igmp = 2;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte IcmpV6 = 58;
    public const byte Vrrp = 112;
    public const byte Sctp = 132;

    /// <summary>Each protocol Membrane names: its number, its name, and what a toPorts entry may call it.</summary>
    private static readonly (byte Number, string Name, L4Protocol? PortRule)[] Table =
    [
        (Tcp, "TCP", L4Protocol.Tcp),
        (Udp, "UDP", L4Protocol.Udp),
        (Sctp, "SCTP", L4Protocol.Sctp),
        (Vrrp, "VRRP", L4Protocol.Vrrp),
        (Igmp, "IGMP", L4Protocol.Igmp),
        (Icmp, "ICMP", null),
        (IcmpV6, "ICMPv6", null),
    ];

    public static bool IsIcmp(byte protocol) => protocol is Icmp or IcmpV6;

    public static byte ForIcmp(IcmpFamily family) => family == IcmpFamily.IPv6 ? IcmpV6 : Icmp;

    /// <summary>The protocols a port rule's protocol stands for: ANY is TCP, UDP and SCTP (never ICMP).</summary>
    public static IEnumerable<byte> Of(L4Protocol protocol) => protocol == L4Protocol.Any
        ? [Tcp, Udp, Sctp]
        : [Table.First(row => row.PortRule == protocol).Number];

    public static string Name(byte protocol) => protocol == Any
        ? "ANY"
        : Array.Find(Table, row => row.Number == protocol).Name ?? protocol.ToString(CultureInfo.InvariantCulture);

    /// <summary>The name of a toPorts protocol, as Cilium writes it.</summary>
    public static string Name(L4Protocol protocol) => protocol == L4Protocol.Any ? "ANY" : Table.First(row => row.PortRule == protocol).Name;

    /// <summary>A protocol by name, case-insensitive: TCP, UDP, SCTP, VRRP, IGMP, ICMP, ICMPv6.</summary>
    public static bool TryParse(string text, out byte protocol)
    {
        foreach (var row in Table)
        {
            if (string.Equals(row.Name, text, StringComparison.OrdinalIgnoreCase))
            {
                protocol = row.Number;
                return true;
            }
        }

        protocol = Any;
        return false;
    }

    /// <summary>A toPorts protocol as Cilium reads it: case-insensitive, empty or ANY meaning TCP, UDP and SCTP; no ICMP.</summary>
    public static bool TryParsePortRule(string? text, out L4Protocol protocol)
    {
        protocol = L4Protocol.Any;
        if (string.IsNullOrEmpty(text) || text.Equals("ANY", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        foreach (var row in Table)
        {
            if (row.PortRule is { } rule && string.Equals(row.Name, text, StringComparison.OrdinalIgnoreCase))
            {
                protocol = rule;
                return true;
            }
        }

        return false;
    }

    /// <summary>The names a toPorts protocol may take, for messages and suggestions.</summary>
    public static IReadOnlyList<string> PortRuleNames { get; } = ["TCP", "UDP", "SCTP", "ANY", "VRRP", "IGMP"];
}
