using System.Runtime.InteropServices;

namespace Membrane.Netlink.Interop;

/// <summary><c>struct ifaddrmsg</c> (uapi/linux/if_addr.h): the fixed part of RTM_*ADDR messages. Its 8-bit flags field
/// cannot hold IFA_F_* above 0x80, so the kernel also accepts and reports a 32-bit IFA_FLAGS attribute.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct IfAddrMsg
{
    public byte Family;
    public byte PrefixLength;
    public byte Flags;
    public byte Scope;
    public uint Index;
}
