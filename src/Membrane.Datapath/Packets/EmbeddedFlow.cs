using Membrane.Datapath.Layout;

namespace Membrane.Datapath.Packets;

/// <summary>
/// The flow an ICMP error is about: the IP header and the first 8 bytes of L4 that the error carries (RFC 792, RFC 4443
/// §2.4). <see cref="Valid"/> is false when that header does not read: then the error is related to nothing and goes
/// to policy (docs/datapath.md §4). For embedded ICMP echo both ports hold the identifier, as conntrack keys do, and
/// <see cref="IcmpType"/> says whether it was echo at all: only an embedded Echo Request or Reply can relate.
/// </summary>
public struct EmbeddedFlow
{
    public bool Valid;
    public byte Protocol;
    public IpAddress16 Source;
    public IpAddress16 Destination;
    public ushort SourcePort;
    public ushort DestinationPort;
    public byte IcmpType;
}
