using System.Runtime.InteropServices;

namespace Membrane.Netlink.Interop;

/// <summary><c>struct tcmsg</c> (uapi/linux/rtnetlink.h): the fixed part of RTM_*QDISC and RTM_*TFILTER messages. For a
/// filter, <see cref="Info"/> packs the priority (upper 16 bits) and the protocol in network byte order (lower 16),
/// as <c>TC_H_MAKE(prio &lt;&lt; 16, htons(proto))</c> in iproute2's tc/tc_filter.c.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct TcMsg
{
    public byte Family;
    public byte Pad1;
    public ushort Pad2;
    public int Index;
    public uint Handle;
    public uint Parent;
    public uint Info;
}
