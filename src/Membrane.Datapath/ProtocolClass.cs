
namespace Membrane.Datapath;

/// <summary>The protocol column of the counters: a few classes rather than 256 protocols, so the counter map stays small.</summary>
public enum ProtocolClass : byte
{
    Other = 0,
    Tcp = 1,
    Udp = 2,
    Sctp = 3,
    Icmp = 4,
    IcmpV6 = 5,
    NotIp = 6,
}
