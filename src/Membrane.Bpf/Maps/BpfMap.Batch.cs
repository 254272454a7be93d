using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Membrane.Bpf.Interop;

namespace Membrane.Bpf.Maps;

/// <summary>
/// Batch operations (Linux 5.6): many elements per syscall. Which ones a map has depends on its type's
/// <c>bpf_map_ops</c>: hash maps (plain, LRU, per-CPU) have all of them; arrays look up and update but cannot delete;
/// LPM tries look up, update and delete (kernel/bpf/lpm_trie.c <c>trie_map_ops</c>, added after 5.6), so an older
/// kernel refuses them; ring buffers have none. A missing operation is answered with ENOTSUPP or EINVAL, which
/// surfaces as a <see cref="MapException"/>.
/// </summary>
public sealed partial class BpfMap
{
    /// <summary>
    /// Reads up to <c>keys.Length</c> entries from where <paramref name="cursor"/> left off into
    /// <paramref name="keys"/> and <paramref name="values"/>; returns how many it read. When the map is exhausted the
    /// cursor says <see cref="MapBatchCursor.IsComplete"/>. A hash map needs room for a whole bucket, or the kernel
    /// answers ENOSPC.
    /// </summary>
    public unsafe int LookupBatch<TKey, TValue>(MapBatchCursor cursor, Span<TKey> keys, Span<TValue> values)
        where TKey : unmanaged
        where TValue : unmanaged
    {
        ArgumentNullException.ThrowIfNull(cursor);
        CheckTypes<TKey, TValue>();
        CheckBatch(keys.Length, values.Length);
        if (cursor.IsComplete)
        {
            return 0;
        }

        // The token is a bucket number (u32) for hash maps and a key for arrays; room for either.
        var tokenSize = Math.Max(Spec.KeySize, 8);
        var outToken = new byte[tokenSize];
        using var lease = Handle.Acquire();
        fixed (byte* inPointer = cursor.Token)
        fixed (byte* outPointer = outToken)
        fixed (TKey* keysPointer = keys)
        fixed (TValue* valuesPointer = values)
        {
            var attr = new MapBatchAttr
            {
                InBatch = cursor.Token is null ? 0 : (ulong)inPointer,
                OutBatch = (ulong)outPointer,
                Keys = (ulong)keysPointer,
                Values = (ulong)valuesPointer,
                Count = (uint)keys.Length,
                MapFd = lease.Fd,
            };
            var result = BpfSyscall.Invoke(BpfCommand.MapLookupBatch, ref attr);
            if (result == -Errno.ENOENT)
            {
                // ENOENT ends the walk; count still says how many elements this last call returned.
                cursor.IsComplete = true;
                return (int)attr.Count;
            }

            if (result < 0)
            {
                throw Failure("lookup batch", BpfCommand.MapLookupBatch, result);
            }

            cursor.Token = outToken;
            return (int)attr.Count;
        }
    }

    /// <summary>Writes <c>keys[i] = values[i]</c> for every i; returns how many the kernel wrote.</summary>
    public unsafe int UpdateBatch<TKey, TValue>(ReadOnlySpan<TKey> keys, ReadOnlySpan<TValue> values, MapUpdateFlags flags = MapUpdateFlags.Any)
        where TKey : unmanaged
        where TValue : unmanaged
    {
        CheckTypes<TKey, TValue>();
        CheckBatch(keys.Length, values.Length);
        using var lease = Handle.Acquire();
        fixed (TKey* keysPointer = keys)
        fixed (TValue* valuesPointer = values)
        {
            var attr = new MapBatchAttr
            {
                Keys = (ulong)keysPointer,
                Values = (ulong)valuesPointer,
                Count = (uint)keys.Length,
                MapFd = lease.Fd,
                ElemFlags = (ulong)flags,
            };
            var result = BpfSyscall.Invoke(BpfCommand.MapUpdateBatch, ref attr);
            return result >= 0 ? (int)attr.Count : throw Failure("update batch", BpfCommand.MapUpdateBatch, result);
        }
    }

    /// <summary>Deletes every key in <paramref name="keys"/>; returns how many the kernel deleted. A missing key stops
    /// the batch with a <see cref="MapException"/> (ENOENT), as the kernel does.</summary>
    public unsafe int DeleteBatch<TKey>(ReadOnlySpan<TKey> keys)
        where TKey : unmanaged
    {
        CheckKey(Unsafe.SizeOf<TKey>());
        using var lease = Handle.Acquire();
        fixed (TKey* keysPointer = keys)
        {
            var attr = new MapBatchAttr { Keys = (ulong)keysPointer, Count = (uint)keys.Length, MapFd = lease.Fd };
            var result = BpfSyscall.Invoke(BpfCommand.MapDeleteBatch, ref attr);
            return result >= 0 ? (int)attr.Count : throw Failure("delete batch", BpfCommand.MapDeleteBatch, result);
        }
    }

    private void CheckBatch(int keyCount, int valueCount)
    {
        if (keyCount != valueCount)
        {
            throw new ArgumentException($"map '{Name}': a batch needs as many values as keys ({keyCount} keys, {valueCount} values)");
        }
    }
}
