namespace Membrane.Bpf.Maps;

/// <summary>The map types the toolkit creates and tests, numbered as <c>enum bpf_map_type</c> in uapi linux/bpf.h.</summary>
public enum MapType : uint
{
    Hash = 1,
    Array = 2,
    PerCpuHash = 5,
    PerCpuArray = 6,
    LruHash = 9,
    LruPerCpuHash = 10,
    LpmTrie = 11,
    RingBuffer = 27,
}
