using System.Runtime.InteropServices;

namespace Membrane.Netlink.Interop;

/// <summary>
/// <c>struct statx</c> (include/uapi/linux/stat.h): 256 bytes, one layout on every architecture. Only the inode and the
/// device are read here, to know a namespace file by the kernel's identity of it.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal struct StatxBuffer
{
    [FieldOffset(32)] public ulong Inode;        // __u64 stx_ino
    [FieldOffset(136)] public uint DeviceMajor;  // __u32 stx_dev_major
    [FieldOffset(140)] public uint DeviceMinor;  // __u32 stx_dev_minor
}
