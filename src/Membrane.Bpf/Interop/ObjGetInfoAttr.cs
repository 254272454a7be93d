using System.Runtime.InteropServices;

namespace Membrane.Bpf.Interop;

/// <summary>The <c>info</c> member of <c>union bpf_attr</c>, used by BPF_OBJ_GET_INFO_BY_FD.</summary>
[StructLayout(LayoutKind.Explicit, Size = 16)]
internal struct ObjGetInfoAttr
{
    [FieldOffset(0)] public uint BpfFd;
    [FieldOffset(4)] public uint InfoLen;
    [FieldOffset(8)] public ulong Info;
}
