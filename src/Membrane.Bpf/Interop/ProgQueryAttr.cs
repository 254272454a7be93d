using System.Runtime.InteropServices;

namespace Membrane.Bpf.Interop;

/// <summary>
/// The <c>query</c> member of <c>union bpf_attr</c>, used by BPF_PROG_QUERY. For tcx (Linux 6.6) the kernel fills the
/// program ids and, beside them, the ids of the links that attach them (kernel/bpf/mprog.c <c>bpf_mprog_query</c>).
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 64)]
internal struct ProgQueryAttr
{
    [FieldOffset(0)] public uint TargetIfindex;
    [FieldOffset(4)] public uint AttachType;
    [FieldOffset(8)] public uint QueryFlags;
    [FieldOffset(12)] public uint AttachFlags;
    [FieldOffset(16)] public ulong ProgIds;
    [FieldOffset(24)] public uint Count;
    [FieldOffset(32)] public ulong ProgAttachFlags;
    [FieldOffset(40)] public ulong LinkIds;
    [FieldOffset(48)] public ulong LinkAttachFlags;
    [FieldOffset(56)] public ulong Revision;
}
