using Membrane.Datapath.Layout;
using Membrane.Datapath.Packets;

namespace Membrane.Datapath.Twin;

/// <summary>
/// Everything one packet did in the twin: the reason (which says pass or drop), the peer identity (0 unless the
/// ipcache was consulted, as the program leaves <c>skb-&gt;cb[1]</c>), which policy lookup decided and the entry it
/// found, the parsed packet, the map writes, the event offered to the ring buffer and whether the token bucket let it
/// through, and the counter slot incremented. The differential test compares these with the kernel program's.
/// </summary>
public sealed record TwinVerdict(
    VerdictReason Reason,
    uint PeerIdentity,
    DecidedBy DecidedBy,
    PolicyMapValue? PolicyValue,
    ParsedPacket Packet,
    IReadOnlyList<ConntrackWrite> ConntrackWrites,
    IReadOnlyList<FragmentWrite> FragmentWrites,
    EventRecord? Event,
    bool EventSent,
    int CounterSlot)
{
    public bool Passed => !Reason.IsDrop();
}
