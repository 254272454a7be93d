using System.Runtime.CompilerServices;
using Membrane.Bpf.Maps;

namespace Membrane.Bpf.RingBuffer;

/// <summary>
/// Reads a BPF ring buffer map (Linux 5.8) from user space. The buffer is mapped, not copied through syscalls: the
/// consumer page read-write, the producer page and the data read-only with the data mapped twice in a row, as the
/// kernel lays it out (kernel/bpf/ringbuf.c <c>ringbuf_map_mmap_kern</c>), so a record that wraps past the end reads
/// as one contiguous span. Each record has an 8-byte header (BPF_RINGBUF_HDR_SZ): a 32-bit length whose top bit
/// (BPF_RINGBUF_BUSY_BIT) means "reserved but not committed yet" and next bit (BPF_RINGBUF_DISCARD_BIT) means
/// "the producer discarded it", then a page offset. Records are 8-byte aligned.
/// <para>
/// Allocation: <see cref="TryRead"/> allocates nothing; <see cref="ReadAsync"/> and <see cref="ReadAllAsync"/>
/// allocate nothing per record beyond what the caller keeps: waiting uses a reusable value-task source (a
/// cancellable token costs one registration per wait), and the async stream yields slices of the caller's buffer.
/// One reader per ring buffer, used by one consumer at a time.
/// </para>
/// </summary>
public sealed class RingBufferReader : IDisposable
{
    /// <summary>BPF_RINGBUF_BUSY_BIT, uapi linux/bpf.h.</summary>
    public const uint BusyBit = 1u << 31;

    /// <summary>BPF_RINGBUF_DISCARD_BIT, uapi linux/bpf.h.</summary>
    public const uint DiscardBit = 1u << 30;

    /// <summary>BPF_RINGBUF_HDR_SZ, uapi linux/bpf.h.</summary>
    public const int HeaderSize = 8;

    private readonly BpfMap map;
    private readonly int pageSize;
    private readonly long mask;
    private readonly nint consumerPage;
    private readonly nint producerRegion;
    private readonly nuint producerLength;
    private readonly nint data;
    private readonly EpollWaiter waiter;
    private bool disposed;

    /// <summary>Maps <paramref name="ringBuffer"/> and prepares to wait on it. The map must stay open while reading.</summary>
    public unsafe RingBufferReader(BpfMap ringBuffer)
    {
        ArgumentNullException.ThrowIfNull(ringBuffer);
        if (ringBuffer.Spec.Type != MapType.RingBuffer)
        {
            throw new ArgumentException($"map '{ringBuffer.Name}' is a {ringBuffer.Spec.Type}, not a ring buffer", nameof(ringBuffer));
        }

        map = ringBuffer;
        pageSize = Interop.Interop.GetPageSize();
        var size = ringBuffer.Spec.MaxEntries;
        mask = size - 1;
        var fd = ringBuffer.Handle.Value;

        consumerPage = Interop.Interop.Mmap(0, (nuint)pageSize, Interop.Interop.PROT_READ | Interop.Interop.PROT_WRITE, Interop.Interop.MAP_SHARED, fd, 0);
        if (consumerPage == -1)
        {
            throw MapFailure("mmap consumer page");
        }

        producerLength = (nuint)pageSize + 2 * (nuint)size;
        producerRegion = Interop.Interop.Mmap(0, producerLength, Interop.Interop.PROT_READ, Interop.Interop.MAP_SHARED, fd, pageSize);
        if (producerRegion == -1)
        {
            var failure = MapFailure("mmap producer page and data");
            Interop.Interop.Munmap(consumerPage, (nuint)pageSize);
            throw failure;
        }

        data = producerRegion + pageSize;
        try
        {
            waiter = new EpollWaiter(fd, ringBuffer.Name);
        }
        catch
        {
            Interop.Interop.Munmap(producerRegion, producerLength);
            Interop.Interop.Munmap(consumerPage, (nuint)pageSize);
            throw;
        }
    }

    /// <summary>Bytes between the consumer and producer positions: committed, busy and discarded records alike.</summary>
    public unsafe long PendingBytes
    {
        get
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return Volatile.Read(ref *(long*)producerRegion) - Volatile.Read(ref *(long*)consumerPage);
        }
    }

    /// <summary>
    /// Copies the next committed record into <paramref name="destination"/> and consumes it, skipping discarded ones.
    /// Returns false when no committed record is ready (none, or the next one is still being written). Throws when
    /// <paramref name="destination"/> is too small, leaving the record in place.
    /// </summary>
    public unsafe bool TryRead(Span<byte> destination, out int length)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        ref var consumerPosition = ref *(long*)consumerPage;
        ref var producerPosition = ref *(long*)producerRegion;
        var consumer = Volatile.Read(ref consumerPosition);
        while (true)
        {
            // Acquire: the producer publishes the position after the header (smp_store_release in ringbuf.c).
            var producer = Volatile.Read(ref producerPosition);
            if (consumer >= producer)
            {
                length = 0;
                return false;
            }

            var record = (byte*)data + (consumer & mask);
            var header = Volatile.Read(ref *(uint*)record);
            if ((header & BusyBit) != 0)
            {
                length = 0;
                return false;
            }

            var recordLength = (int)(header & ~(BusyBit | DiscardBit));
            var total = (recordLength + HeaderSize + 7) & ~7L;
            if ((header & DiscardBit) == 0)
            {
                if (recordLength > destination.Length)
                {
                    throw new ArgumentException(
                        $"ring buffer '{map.Name}': the next record has {recordLength} bytes; the buffer holds {destination.Length}",
                        nameof(destination));
                }

                new ReadOnlySpan<byte>(record + HeaderSize, recordLength).CopyTo(destination);
                // Release: the kernel may reuse the space once it sees the new consumer position.
                Volatile.Write(ref consumerPosition, consumer + total);
                length = recordLength;
                return true;
            }

            consumer += total;
            Volatile.Write(ref consumerPosition, consumer);
        }
    }

    /// <summary>Waits (with epoll) for the next committed record, copies it into <paramref name="destination"/>, and
    /// returns its length.</summary>
    public ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default) =>
        TryRead(destination.Span, out var length) ? new ValueTask<int>(length) : WaitAndReadAsync(destination, cancellationToken);

    /// <summary>
    /// Every record, as it arrives, as a slice of <paramref name="buffer"/> that stays valid until the next one is
    /// requested: copy what must outlive the iteration. Ends only by cancellation or disposal.
    /// </summary>
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAllAsync(Memory<byte> buffer, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var length = await ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            yield return buffer[..length];
        }
    }

    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> WaitAndReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        while (true)
        {
            await waiter.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (TryRead(destination.Span, out var length))
            {
                return length;
            }

            // Readable but nothing committed: the head record is still busy. The producer must commit or discard it
            // before its program returns, so wait briefly rather than spin on the level-triggered epoll.
            await Task.Yield();
        }
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        waiter.Dispose();
        Interop.Interop.Munmap(producerRegion, producerLength);
        Interop.Interop.Munmap(consumerPage, (nuint)pageSize);
    }

    private IOException MapFailure(string operation)
    {
        var errno = Interop.Interop.LastErrno;
        return new IOException($"ring buffer '{map.Name}': {operation}: {Errno.Name(errno)}. " +
            "Hint: the consumer page must be mapped read-write and the rest read-only (EPERM otherwise)");
    }
}
