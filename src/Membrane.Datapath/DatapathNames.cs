using Membrane.Datapath.Packets;
using Membrane.Policy.Values;

namespace Membrane.Datapath;

/// <summary>How the datapath's outputs (events, decoded maps) name a protocol: the family's ICMP as ICMPv4 or ICMPv6
/// (ICMP of the other family is just a protocol number), the rest from the one protocol vocabulary.</summary>
public static class DatapathNames
{
    public static string Protocol(byte family, byte protocol) => family == 0
        ? "non-IP"
        : ParsedPacket.IsIcmpOf(family, protocol) ? (family == DatapathConstants.FamilyIPv6 ? "ICMPv6" : "ICMPv4")
        : IpProtocols.Name(protocol);
}
