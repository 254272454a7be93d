using System.Runtime.InteropServices;

namespace Membrane.Bpf.Interop;

/// <summary>The <c>link_create</c> member of <c>union bpf_attr</c> with its <c>tcx</c> variant (Linux 6.6): the
/// variant union starts at offset 16, after <c>flags</c>.</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
internal struct LinkCreateTcxAttr
{
    [FieldOffset(0)] public uint ProgFd;
    [FieldOffset(4)] public uint TargetIfindex;
    [FieldOffset(8)] public uint AttachType;
    [FieldOffset(12)] public uint Flags;
    [FieldOffset(16)] public uint RelativeFd;
    [FieldOffset(24)] public ulong ExpectedRevision;
}
