using System.Runtime.InteropServices;

namespace Membrane.Netlink.Interop;

/// <summary><c>struct sockaddr_nl</c> (uapi/linux/netlink.h): the address of a netlink socket. A port id (nl_pid) of
/// 0 is the kernel as a peer, and in <c>bind</c> asks the kernel to pick a unique one.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SockaddrNl
{
    public ushort Family;
    public ushort Pad;
    public uint Pid;
    public uint Groups;
}
