using System.Runtime.InteropServices;

namespace Membrane.Bpf.Interop;

/// <summary>The head of <c>struct bpf_link_info</c> (uapi linux/bpf.h): type, id and the program's id; the kernel
/// copies no more than the <c>info_len</c> it is given, and the union after these is not needed here.</summary>
[StructLayout(LayoutKind.Sequential, Size = 16)]
internal struct LinkInfo
{
    public uint Type;
    public uint Id;
    public uint ProgramId;
    public uint Padding;
}
