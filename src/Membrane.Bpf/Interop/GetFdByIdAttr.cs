using System.Runtime.InteropServices;

namespace Membrane.Bpf.Interop;

/// <summary>The anonymous member of <c>union bpf_attr</c> used by the BPF_*_GET_FD_BY_ID commands.</summary>
[StructLayout(LayoutKind.Explicit, Size = 12)]
internal struct GetFdByIdAttr
{
    [FieldOffset(0)] public uint Id;
    [FieldOffset(4)] public uint NextId;
    [FieldOffset(8)] public uint OpenFlags;
}
