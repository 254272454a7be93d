namespace Membrane.Policy.Icmp;

/// <summary>The ICMP of IPv4 (protocol 1) or of IPv6 (ICMPv6, next header 58).</summary>
public enum IcmpFamily
{
    IPv4,
    IPv6,
}
