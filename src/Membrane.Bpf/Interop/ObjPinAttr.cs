using System.Runtime.InteropServices;

namespace Membrane.Bpf.Interop;

/// <summary>The BPF_OBJ_PIN and BPF_OBJ_GET member of <c>union bpf_attr</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 24)]
internal struct ObjPinAttr
{
    [FieldOffset(0)] public ulong Pathname;
    [FieldOffset(8)] public uint BpfFd;
    [FieldOffset(12)] public uint FileFlags;
    [FieldOffset(16)] public int PathFd;
}
