using System.Runtime.InteropServices;

namespace Membrane.Netlink.Interop;

/// <summary><c>struct ndmsg</c> (uapi/linux/neighbour.h): the fixed part of RTM_*NEIGH messages.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NdMsg
{
    public byte Family;
    public byte Pad1;
    public ushort Pad2;
    public int Index;
    public ushort State;
    public byte Flags;
    public byte Type;
}
