using Membrane.Datapath.Layout;
using Membrane.Policy.Icmp;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Encoding;

/// <summary>
/// Reads policy map entries back (<c>membrane bpf policy get</c>): the inverse of <see cref="PolicyMapEncoder"/>, with
/// ICMP types and codes named from the policy API's tables, so that what the kernel holds can be checked by eye.
/// </summary>
public static class PolicyMapDecoder
{
    public static PolicyMapRow Decode(in PolicyMapKey key, in PolicyMapValue value)
    {
        var direction = key.Direction == DatapathConstants.DirectionEgress ? "egress" : "ingress";
        var verdict = value.IsDeny ? "deny" : "allow";
        if (key.PrefixLength <= DatapathConstants.PolicyAnyProtocolPrefix)
        {
            return new PolicyMapRow(direction, key.Identity, "ANY", "all", verdict, value.Cookie);
        }

        var prefix = (int)key.PrefixLength - DatapathConstants.PolicyProtocolPrefix;
        var protocol = IpProtocols.IsIcmp(key.Protocol) ? (key.Protocol == IpProtocols.IcmpV6 ? "ICMPv6" : "ICMPv4") : IpProtocols.Name(key.Protocol);
        return new PolicyMapRow(direction, key.Identity, protocol, Covers(key.Protocol, key.Value, prefix), verdict, value.Cookie);
    }

    private static string Covers(byte protocol, ushort value, int prefix)
    {
        if (!IpProtocols.IsIcmp(protocol))
        {
            var last = value + (1 << (16 - prefix)) - 1;
            return prefix == 0 ? "any port" : last == value ? $"{value}" : $"{value}-{last}";
        }

        var family = protocol == IpProtocols.IcmpV6 ? IcmpFamily.IPv6 : IcmpFamily.IPv4;
        var type = IcmpKeyValue.TypeOf(value);
        var code = IcmpKeyValue.CodeOf(value);
        return prefix switch
        {
            0 => "any type",
            < IcmpKeyValue.TypePrefixLength => $"types {type}-{type + (1 << (8 - prefix)) - 1}",
            IcmpKeyValue.TypePrefixLength => Name(family, type),
            16 => $"{Name(family, type)} code {code}",
            _ => $"{Name(family, type)} codes {code}-{code + (1 << (16 - prefix)) - 1}",
        };
    }

    private static string Name(IcmpFamily family, byte type) =>
        IcmpTypes.Find(family, type) is { } info && (info.CiliumName ?? info.NftName) is { } name ? $"{name} ({type})" : $"type {type}";
}
