using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Icmp;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.MapState;

/// <summary>
/// A map state key: direction, peer identity (0 = any peer), IP protocol (0 = every protocol),
/// and a prefix of the 16-bit L4 value. For TCP, UDP and SCTP the value is the destination port;
/// for ICMP it is <c>type &lt;&lt; 8 | code</c> (<see cref="IcmpKeyValue"/>), so a type without codes is an 8-bit prefix and
/// ICMP type 0 (EchoReply) is the value 0 with prefix 8, never "any" (prefix 0). Identity 0 and
/// protocol 0 never occur in traffic, which is what lets them stand for "any".
/// A packet is decided by two longest-prefix lookups, (peer, protocol, value) and (any peer, protocol, value),
/// where "any protocol" is the shortest prefix, however many rules there are.
/// </summary>
public readonly record struct PolicyKey(TrafficDirection Direction, uint Identity, byte Protocol, ushort Value, byte PrefixLength)
{
    public const uint AnyIdentity = 0;

    public bool Matches(ushort value) => PrefixLength == 0 || (value >> (16 - PrefixLength)) == (Value >> (16 - PrefixLength));

    /// <summary>Whether this key's prefix contains <paramref name="other"/>'s (same identity and protocol assumed).</summary>
    public bool Covers(PolicyKey other) => PrefixLength <= other.PrefixLength && Matches(other.Value);

    public string DescribeL4()
    {
        if (Protocol == IpProtocols.Any)
        {
            return "all";
        }

        if (IpProtocols.IsIcmp(Protocol))
        {
            return PrefixLength switch
            {
                0 => "any type",
                < IcmpKeyValue.TypePrefixLength => $"types {IcmpKeyValue.TypeOf(Value)}-{IcmpKeyValue.TypeOf(Value) + (1 << (8 - PrefixLength)) - 1}",
                IcmpKeyValue.TypePrefixLength => $"type {IcmpKeyValue.TypeOf(Value)}",
                16 => $"type {IcmpKeyValue.TypeOf(Value)} code {IcmpKeyValue.CodeOf(Value)}",
                _ => $"type {IcmpKeyValue.TypeOf(Value)} codes {IcmpKeyValue.CodeOf(Value)}-{IcmpKeyValue.CodeOf(Value) + (1 << (16 - PrefixLength)) - 1}",
            };
        }

        if (PrefixLength == 0)
        {
            return "any port";
        }

        var last = Value + (1 << (16 - PrefixLength)) - 1;
        return last == Value ? $"{Value}" : $"{Value}-{last}";
    }

    public override string ToString() =>
        $"{Direction} {(Identity == AnyIdentity ? "any" : Identity.ToString(System.Globalization.CultureInfo.InvariantCulture))} {IpProtocols.Name(Protocol)} {DescribeL4()}";
}
