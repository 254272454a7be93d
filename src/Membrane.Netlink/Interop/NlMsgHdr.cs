using System.Runtime.InteropServices;

namespace Membrane.Netlink.Interop;

/// <summary><c>struct nlmsghdr</c> (uapi/linux/netlink.h): every netlink message starts with it, in host byte order.
/// <see cref="Length"/> counts the header and the payload but not the padding after it.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NlMsgHdr
{
    public uint Length;
    public ushort Type;
    public ushort Flags;
    public uint Sequence;
    public uint PortId;
}
