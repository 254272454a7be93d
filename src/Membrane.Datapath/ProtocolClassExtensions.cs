using Membrane.Policy.Values;

namespace Membrane.Datapath;

public static class ProtocolClassExtensions
{
    /// <summary>The class of a parsed packet's protocol; family 0 means the packet was not IP (or did not parse as IP).</summary>
    public static ProtocolClass Classify(byte family, byte protocol) => family == 0
        ? ProtocolClass.NotIp
        : protocol switch
        {
            IpProtocols.Tcp => ProtocolClass.Tcp,
            IpProtocols.Udp => ProtocolClass.Udp,
            IpProtocols.Sctp => ProtocolClass.Sctp,
            IpProtocols.Icmp => ProtocolClass.Icmp,
            IpProtocols.IcmpV6 => ProtocolClass.IcmpV6,
            _ => ProtocolClass.Other,
        };

    /// <summary>The counter slot of a verdict (<see cref="DatapathConstants.CounterSlots"/> slots in all).</summary>
    public static int CounterSlot(VerdictReason reason, byte direction, ProtocolClass protocol) =>
        (((int)reason * 2) + direction) * DatapathConstants.ProtocolClasses + (int)protocol;
}
