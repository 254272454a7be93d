using System.Runtime.InteropServices;

namespace Membrane.Netlink.Interop;

/// <summary><c>struct ifinfomsg</c> (uapi/linux/rtnetlink.h): the fixed part of RTM_*LINK messages. IFF_* flags are
/// applied only where the matching bit of <see cref="Change"/> is set (net/core/rtnetlink.c <c>rtnl_dev_combine_flags</c>).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IfInfoMsg
{
    public byte Family;
    public byte Pad;
    public ushort Type;
    public int Index;
    public uint Flags;
    public uint Change;
}
