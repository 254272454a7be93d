using System.Runtime.InteropServices;

namespace Membrane.Bpf.Interop;

/// <summary>
/// The head of <c>struct bpf_link_info</c> (uapi linux/bpf.h): type, id and the program's id, then the first words of
/// the per-type union (8-byte aligned, at 16), which for a tcx link are its interface index and attach type; the
/// kernel copies no more than the <c>info_len</c> it is given.
/// </summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
internal struct LinkInfo
{
    [FieldOffset(0)] public uint Type;
    [FieldOffset(4)] public uint Id;
    [FieldOffset(8)] public uint ProgramId;
    [FieldOffset(16)] public uint TcxIfindex;      // union { struct { __u32 ifindex; __u32 attach_type; } tcx; ... }
    [FieldOffset(20)] public uint TcxAttachType;
}
