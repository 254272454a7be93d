using System.Runtime.InteropServices;

namespace Membrane.Bpf.Interop;

/// <summary>The BPF_MAP_*_ELEM and BPF_MAP_GET_NEXT_KEY member of <c>union bpf_attr</c>: <c>value</c> and
/// <c>next_key</c> share offset 16.</summary>
[StructLayout(LayoutKind.Explicit, Size = 32)]
internal struct MapElemAttr
{
    [FieldOffset(0)] public uint MapFd;
    [FieldOffset(8)] public ulong Key;
    [FieldOffset(16)] public ulong Value;
    [FieldOffset(16)] public ulong NextKey;
    [FieldOffset(24)] public ulong Flags;
}
