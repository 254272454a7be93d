using System.Runtime.InteropServices;

namespace Membrane.Bpf.Maps;

/// <summary>
/// The key of an LPM trie: <c>struct bpf_lpm_trie_key</c> (uapi linux/bpf.h), a 32-bit prefix length in bits followed
/// by the data in network byte order. Pack = 4 puts <see cref="Data"/> at offset 4 whatever its alignment, as the
/// kernel expects.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public struct LpmTrieKey<TData>(uint prefixLength, TData data)
    where TData : unmanaged
{
    /// <summary>How many leading bits of <see cref="Data"/> the prefix covers.</summary>
    public uint PrefixLength = prefixLength;

    public TData Data = data;
}
