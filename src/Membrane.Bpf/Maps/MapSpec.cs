using System.Runtime.CompilerServices;

namespace Membrane.Bpf.Maps;

/// <summary>
/// What a map is, as plain data: <see cref="BpfMap.Create"/> turns it into a kernel object. Sizes are in bytes. A ring
/// buffer has zero key and value sizes and <see cref="MaxEntries"/> is its data size.
/// </summary>
public sealed record MapSpec(string Name, MapType Type, int KeySize, int ValueSize, int MaxEntries, MapFlags Flags = MapFlags.None)
{
    /// <summary>A map keyed by <typeparamref name="TKey"/> holding <typeparamref name="TValue"/>, sized from the structs.</summary>
    public static MapSpec For<TKey, TValue>(string name, MapType type, int maxEntries, MapFlags flags = MapFlags.None)
        where TKey : unmanaged
        where TValue : unmanaged =>
        new(name, type, Unsafe.SizeOf<TKey>(), Unsafe.SizeOf<TValue>(), maxEntries, flags);

    /// <summary>An LPM trie over prefixes of <typeparamref name="TData"/>: its key is <see cref="LpmTrieKey{TData}"/>
    /// and it gets the NoPrealloc flag the kernel requires.</summary>
    public static MapSpec LpmTrie<TData, TValue>(string name, int maxEntries)
        where TData : unmanaged
        where TValue : unmanaged =>
        new(name, MapType.LpmTrie, Unsafe.SizeOf<LpmTrieKey<TData>>(), Unsafe.SizeOf<TValue>(), maxEntries, MapFlags.NoPrealloc);

    /// <summary>A ring buffer of <paramref name="sizeBytes"/> bytes: a power of two and a multiple of the page size
    /// (kernel/bpf/ringbuf.c <c>ringbuf_map_alloc</c>).</summary>
    public static MapSpec RingBuffer(string name, int sizeBytes) => new(name, MapType.RingBuffer, 0, 0, sizeBytes);

    /// <summary>Whether lookups return one value per possible CPU.</summary>
    public bool IsPerCpu => Type is MapType.PerCpuHash or MapType.PerCpuArray or MapType.LruPerCpuHash;
}
