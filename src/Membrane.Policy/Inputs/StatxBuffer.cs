using System.Runtime.InteropServices;

namespace Membrane.Policy.Inputs;

/// <summary>
/// <c>struct statx</c> from include/uapi/linux/stat.h: 256 bytes, the same on every architecture. Only the fields
/// the collector reads are named; the timestamps and the spare tail are padding here.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 256)]
internal struct StatxBuffer
{
    [FieldOffset(0)] public uint Mask;           // __u32 stx_mask: which fields the kernel filled in
    [FieldOffset(28)] public ushort Mode;        // __u16 stx_mode: file type and permissions
    [FieldOffset(32)] public ulong Inode;        // __u64 stx_ino
    [FieldOffset(40)] public ulong Size;         // __u64 stx_size
    [FieldOffset(136)] public uint DeviceMajor;  // __u32 stx_dev_major
    [FieldOffset(140)] public uint DeviceMinor;  // __u32 stx_dev_minor
}
