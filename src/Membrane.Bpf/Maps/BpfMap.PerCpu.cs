using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Membrane.Bpf.Maps;

/// <summary>Per-CPU maps hold one value per possible CPU; user space reads and writes all of them at once, each in a
/// slot rounded up to 8 bytes (kernel/bpf/hashtab.c <c>bpf_percpu_hash_copy</c>).</summary>
public sealed partial class BpfMap
{
    /// <summary>Reads every CPU's value of <paramref name="key"/> into <paramref name="values"/>, which must hold
    /// <see cref="PossibleCpuCount"/> values; false when the key is absent.</summary>
    public bool TryLookupPerCpu<TKey, TValue>(in TKey key, Span<TValue> values)
        where TKey : unmanaged
        where TValue : unmanaged
    {
        CheckPerCpu<TValue>(values.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(ValueBufferSize);
        try
        {
            var bytes = buffer.AsSpan(0, ValueBufferSize);
            if (!TryLookup(AsBytes(in key), bytes))
            {
                return false;
            }

            for (var cpu = 0; cpu < values.Length; cpu++)
            {
                values[cpu] = MemoryMarshal.Read<TValue>(bytes.Slice(cpu * PerCpuStride, Unsafe.SizeOf<TValue>()));
            }

            return true;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Sets every CPU's value of <paramref name="key"/>; <paramref name="values"/> holds one per possible CPU.</summary>
    public void UpdatePerCpu<TKey, TValue>(in TKey key, ReadOnlySpan<TValue> values, MapUpdateFlags flags = MapUpdateFlags.Any)
        where TKey : unmanaged
        where TValue : unmanaged
    {
        CheckPerCpu<TValue>(values.Length);
        var buffer = ArrayPool<byte>.Shared.Rent(ValueBufferSize);
        try
        {
            var bytes = buffer.AsSpan(0, ValueBufferSize);
            bytes.Clear();
            for (var cpu = 0; cpu < values.Length; cpu++)
            {
                MemoryMarshal.Write(bytes.Slice(cpu * PerCpuStride), in values[cpu]);
            }

            Update(AsBytes(in key), bytes, flags);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private void CheckPerCpu<TValue>(int count)
        where TValue : unmanaged
    {
        if (!Spec.IsPerCpu)
        {
            throw new InvalidOperationException($"map '{Name}' is not per-CPU: use TryLookup and Update");
        }

        if (Unsafe.SizeOf<TValue>() != Spec.ValueSize)
        {
            throw new ArgumentException(
                $"map '{Name}' has {Spec.ValueSize}-byte values; {typeof(TValue).Name} is {Unsafe.SizeOf<TValue>()} bytes");
        }

        if (count != PossibleCpuCount)
        {
            throw new ArgumentException($"map '{Name}' needs {PossibleCpuCount} values, one per possible CPU, not {count}");
        }
    }
}
