namespace Membrane.Datapath.Ebpf.Generator;

/// <summary>What the parser makes of an ICMP or ICMPv6 header, which decides the conntrack lookups (docs/datapath.md §4).</summary>
internal enum IcmpKind : byte
{
    /// <summary>Not ICMP (in its own family): TCP, UDP, SCTP or another protocol, tracked by ports.</summary>
    None = 0,
    EchoRequest = 1,
    EchoReply = 2,
    Error = 3,

    /// <summary>Any other ICMP type: not tracked.</summary>
    Other = 4,
}
