using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Membrane.Bpf.Maps;

/// <summary>Typed access: keys and values are unmanaged structs laid out as the programs see them.</summary>
public sealed partial class BpfMap
{
    /// <summary>Reads the value of <paramref name="key"/>; false when the key is absent.</summary>
    public bool TryLookup<TKey, TValue>(in TKey key, out TValue value)
        where TKey : unmanaged
        where TValue : unmanaged
    {
        CheckTypes<TKey, TValue>();
        value = default;
        return TryLookup(AsBytes(in key), MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref value, 1)));
    }

    /// <summary>Sets the value of <paramref name="key"/>, subject to <paramref name="flags"/>.</summary>
    public void Update<TKey, TValue>(in TKey key, in TValue value, MapUpdateFlags flags = MapUpdateFlags.Any)
        where TKey : unmanaged
        where TValue : unmanaged
    {
        CheckTypes<TKey, TValue>();
        Update(AsBytes(in key), AsBytes(in value), flags);
    }

    /// <summary>Deletes <paramref name="key"/>; false when it was absent.</summary>
    public bool Delete<TKey>(in TKey key)
        where TKey : unmanaged => Delete(AsBytes(in key));

    /// <summary>Every key, by BPF_MAP_GET_NEXT_KEY. Keys deleted during the walk may make a hash map restart from
    /// its first bucket, as the kernel documents for get_next_key.</summary>
    public IEnumerable<TKey> Keys<TKey>()
        where TKey : unmanaged
    {
        CheckKey(Unsafe.SizeOf<TKey>());
        var current = default(TKey);
        var next = default(TKey);
        var first = true;
        while (true)
        {
            bool found;
            {
                var nextBytes = MemoryMarshal.AsBytes(MemoryMarshal.CreateSpan(ref next, 1));
                found = first
                    ? TryGetNextKey(ReadOnlySpan<byte>.Empty, nextBytes)
                    : TryGetNextKey(AsBytes(in current), nextBytes);
            }

            if (!found)
            {
                yield break;
            }

            first = false;
            current = next;
            yield return current;
        }
    }

    /// <summary>Every key with its value. A key deleted between the walk and the lookup is skipped.</summary>
    public IEnumerable<KeyValuePair<TKey, TValue>> Entries<TKey, TValue>()
        where TKey : unmanaged
        where TValue : unmanaged
    {
        CheckTypes<TKey, TValue>();
        foreach (var key in Keys<TKey>())
        {
            if (TryLookup<TKey, TValue>(key, out var value))
            {
                yield return new KeyValuePair<TKey, TValue>(key, value);
            }
        }
    }

    internal static ReadOnlySpan<byte> AsBytes<T>(in T value)
        where T : unmanaged =>
        MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(in value, 1));

    private void CheckTypes<TKey, TValue>()
        where TKey : unmanaged
        where TValue : unmanaged
    {
        if (Spec.IsPerCpu)
        {
            throw new InvalidOperationException($"map '{Name}' is per-CPU: use TryLookupPerCpu and UpdatePerCpu");
        }

        CheckKey(Unsafe.SizeOf<TKey>());
        if (Unsafe.SizeOf<TValue>() != Spec.ValueSize)
        {
            throw new ArgumentException(
                $"map '{Name}' has {Spec.ValueSize}-byte values; {typeof(TValue).Name} is {Unsafe.SizeOf<TValue>()} bytes");
        }
    }
}
