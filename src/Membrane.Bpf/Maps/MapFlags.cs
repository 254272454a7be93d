namespace Membrane.Bpf.Maps;

/// <summary>The <c>map_flags</c> of BPF_MAP_CREATE (uapi linux/bpf.h, <c>BPF_F_*</c>).</summary>
[Flags]
public enum MapFlags : uint
{
    None = 0,

    /// <summary>Allocate elements on demand. Required for LPM tries (kernel/bpf/lpm_trie.c rejects them without it).</summary>
    NoPrealloc = 1u << 0,

    /// <summary>Give each CPU of an LRU map its own free list.</summary>
    NoCommonLru = 1u << 1,

    /// <summary>Programs may not write the map.</summary>
    ReadOnlyProgram = 1u << 7,

    /// <summary>Allow mmap of an array's values.</summary>
    Mmapable = 1u << 10,
}
