using System.Runtime.InteropServices;

namespace Membrane.Bpf.Interop;

/// <summary>The <c>link_detach</c> member of <c>union bpf_attr</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 4)]
internal struct LinkDetachAttr
{
    [FieldOffset(0)] public uint LinkFd;
}
