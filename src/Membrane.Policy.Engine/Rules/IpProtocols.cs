using Membrane.Policy.Icmp;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Rules;

/// <summary>IP protocol numbers (IANA) and their names for people.</summary>
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

    public static bool IsIcmp(byte protocol) => protocol is Icmp or IcmpV6;

    public static byte ForIcmp(IcmpFamily family) => family == IcmpFamily.IPv6 ? IcmpV6 : Icmp;

    /// <summary>The protocols a port rule's protocol stands for: ANY is TCP, UDP and SCTP (never ICMP).</summary>
    public static IEnumerable<byte> Of(L4Protocol protocol) => protocol switch
    {
        L4Protocol.Tcp => [Tcp],
        L4Protocol.Udp => [Udp],
        L4Protocol.Sctp => [Sctp],
        L4Protocol.Vrrp => [Vrrp],
        L4Protocol.Igmp => [Igmp],
        _ => [Tcp, Udp, Sctp],
    };

    public static string Name(byte protocol) => protocol switch
    {
        Any => "ANY",
        Icmp => "ICMP",
        Igmp => "IGMP",
        Tcp => "TCP",
        Udp => "UDP",
        IcmpV6 => "ICMPv6",
        Vrrp => "VRRP",
        Sctp => "SCTP",
        _ => protocol.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public static bool TryParse(string text, out byte protocol)
    {
        protocol = text.ToUpperInvariant() switch
        {
            "TCP" => Tcp,
            "UDP" => Udp,
            "SCTP" => Sctp,
            "ICMP" => Icmp,
            "ICMPV6" => IcmpV6,
            "VRRP" => Vrrp,
            "IGMP" => Igmp,
            _ => Any,
        };
        return protocol != Any;
    }
}
