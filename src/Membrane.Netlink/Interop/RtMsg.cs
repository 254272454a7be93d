using System.Runtime.InteropServices;

namespace Membrane.Netlink.Interop;

/// <summary><c>struct rtmsg</c> (uapi/linux/rtnetlink.h): the fixed part of RTM_*ROUTE messages.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RtMsg
{
    public byte Family;
    public byte DestinationLength;
    public byte SourceLength;
    public byte Tos;
    public byte Table;
    public byte Protocol;
    public byte Scope;
    public byte Type;
    public uint Flags;
}
