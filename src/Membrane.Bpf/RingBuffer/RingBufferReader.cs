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
/// Only while the head record is reserved but not yet committed does a wait cost a timer, as the reader backs off
/// until the producer commits it. One reader per ring buffer, used by one consumer at a time.
/// </para>
/// <para>
/// Disposal is safe while a read runs on another thread (a thread-pool continuation of <see cref="ReadAllAsync"/>,
/// typically): every read holds a reference, <see cref="Dispose"/> drops the reader's own, and whoever drops the last
/// one unmaps the buffer, so a read never touches unmapped memory. The reader also holds the map's descriptor open
/// until then, because the mappings and the epoll registration were made through it.
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

    /// <summary>The first pause, in milliseconds, while the head record is busy; it doubles up to
    /// <see cref="MaxBusyDelayMilliseconds"/>.</summary>
    internal const int MinBusyDelayMilliseconds = 1;

    /// <summary>The longest pause while the head record is busy: long enough not to burn a core on a producer that
    /// is slow to commit, short enough not to add visible latency once it does.</summary>
    internal const int MaxBusyDelayMilliseconds = 50;

    private readonly BpfMap map;
    private readonly int pageSize;
    private readonly long mask;
    private readonly nint consumerPage;
    private readonly nint producerRegion;
    private readonly nuint producerLength;
    private readonly nint data;
    private readonly EpollWaiter waiter;

    /// <summary>The reader's own reference (dropped by <see cref="Dispose"/>) plus one per read in progress. The
    /// buffer stays mapped while it is above zero.</summary>
    private int references = 1;

    private int disposed;
    private int released;

    /// <summary>
    /// Maps <paramref name="ringBuffer"/> and prepares to wait on it. The reader keeps the map's descriptor open
    /// until it is disposed, even if the <see cref="BpfMap"/> is disposed first.
    /// </summary>
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

        // Without the reference a concurrent Dispose of the map could close the descriptor, and the number be reused
        // for another file, between reading it and mapping or registering it. Released by Release, or below.
        var added = false;
        ringBuffer.Handle.DangerousAddRef(ref added);
        try
        {
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
        catch
        {
            ringBuffer.Handle.DangerousRelease();
            throw;
        }
    }

    /// <summary>Bytes between the consumer and producer positions: committed, busy and discarded records alike.</summary>
    public long PendingBytes
    {
        get
        {
            Enter();
            try
            {
                return PendingBytesCore();
            }
            finally
            {
                Exit();
            }
        }
    }

    /// <summary>
    /// Copies the next committed record into <paramref name="destination"/> and consumes it, skipping discarded ones.
    /// Returns false when no committed record is ready (none, or the next one is still being written). Throws when
    /// <paramref name="destination"/> is too small, leaving the record in place.
    /// </summary>
    public bool TryRead(Span<byte> destination, out int length)
    {
        Enter();
        try
        {
            return TryReadCore(destination, out length);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Waits (with epoll) for the next committed record, copies it into <paramref name="destination"/>, and
    /// returns its length. Throws <see cref="ObjectDisposedException"/> when the reader is disposed, before or
    /// during the wait.</summary>
    public ValueTask<int> ReadAsync(Memory<byte> destination, CancellationToken cancellationToken = default)
    {
        Enter();
        var handedOver = false;
        try
        {
            if (TryReadCore(destination.Span, out var length))
            {
                return new ValueTask<int>(length);
            }

            // The reference taken above now belongs to the asynchronous read, which drops it when it ends.
            handedOver = true;
            return WaitAndReadAsync(destination, cancellationToken);
        }
        finally
        {
            if (!handedOver)
            {
                Exit();
            }
        }
    }

    /// <summary>
    /// Every record, as it arrives, as a slice of <paramref name="buffer"/> that stays valid until the next one is
    /// requested: copy what must outlive the iteration. Runs until cancelled, which throws
    /// <see cref="OperationCanceledException"/>, or until the reader is disposed, which ends the enumeration normally
    /// (disposal is how a consumer is told to stop, not a failure of the stream).
    /// </summary>
    public async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAllAsync(Memory<byte> buffer, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        while (true)
        {
            int length;
            try
            {
                length = await ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            }
            catch (ObjectDisposedException) when (Volatile.Read(ref disposed) != 0)
            {
                yield break;
            }

            yield return buffer[..length];
        }
    }

    /// <summary>
    /// Waits until a committed record is ready. Epoll is level-triggered and the kernel reports the ring readable
    /// while the consumer position trails the producer's, so while the head record is reserved but not committed
    /// every wait returns at once. The producer must commit or discard it before its program returns, but that may
    /// take a while (a long program, a preempted CPU), so the loop backs off with a growing delay rather than spin;
    /// the delay starts over with every call, that is after every record read.
    /// </summary>
    [AsyncMethodBuilder(typeof(PoolingAsyncValueTaskMethodBuilder<>))]
    private async ValueTask<int> WaitAndReadAsync(Memory<byte> destination, CancellationToken cancellationToken)
    {
        try
        {
            var delay = MinBusyDelayMilliseconds;
            while (true)
            {
                await waiter.WaitAsync(cancellationToken).ConfigureAwait(false);
                ThrowIfDisposed();
                if (TryReadCore(destination.Span, out var length))
                {
                    return length;
                }

                if (PendingBytesCore() == 0)
                {
                    // A stale wake-up (a cancellation registration that fired late): nothing to back off from.
                    continue;
                }

                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                ThrowIfDisposed();
                delay = Math.Min(delay * 2, MaxBusyDelayMilliseconds);
            }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Marks the reader disposed and wakes a pending wait, which then throws <see cref="ObjectDisposedException"/>
    /// (or ends <see cref="ReadAllAsync"/>). The buffer is unmapped now if no read is in progress, otherwise by the
    /// last read as it leaves: Dispose never waits for a read in progress.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        waiter.Stop();
        Exit();
    }

    /// <summary>Takes a reference for a read, or throws when the reader is disposed. The increment comes before the
    /// check, and Dispose sets the flag before dropping its reference (both full fences), so either this read sees
    /// the flag or the buffer stays mapped until it leaves.</summary>
    private void Enter()
    {
        Interlocked.Increment(ref references);
        if (Volatile.Read(ref disposed) != 0)
        {
            Exit();
            throw new ObjectDisposedException(nameof(RingBufferReader));
        }
    }

    private void Exit()
    {
        if (Interlocked.Decrement(ref references) == 0)
        {
            Release();
        }
    }

    /// <summary>Unmaps the buffer, ends the waiter and lets the map's descriptor go. A read that arrives after the
    /// count reached zero briefly raises it again, sees the flag and leaves, so this runs at most once by the guard.</summary>
    private void Release()
    {
        if (Interlocked.Exchange(ref released, 1) != 0)
        {
            return;
        }

        waiter.Dispose();
        Interop.Interop.Munmap(producerRegion, producerLength);
        Interop.Interop.Munmap(consumerPage, (nuint)pageSize);
        map.Handle.DangerousRelease();
    }

    private void ThrowIfDisposed()
    {
        if (Volatile.Read(ref disposed) != 0)
        {
            throw new ObjectDisposedException(nameof(RingBufferReader));
        }
    }

    private unsafe long PendingBytesCore() =>
        Volatile.Read(ref *(long*)producerRegion) - Volatile.Read(ref *(long*)consumerPage);

    private unsafe bool TryReadCore(Span<byte> destination, out int length)
    {
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

    private IOException MapFailure(string operation)
    {
        var errno = Interop.Interop.LastErrno;
        return new IOException($"ring buffer '{map.Name}': {operation}: {Errno.Name(errno)}. " +
            "Hint: the consumer page must be mapped read-write and the rest read-only (EPERM otherwise)");
    }
}
