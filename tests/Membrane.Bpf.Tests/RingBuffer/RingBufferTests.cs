using Membrane.Bpf.Asm;
using Membrane.Bpf.Maps;
using Membrane.Bpf.Programs;
using Membrane.Bpf.RingBuffer;
using Membrane.Bpf.Tests.Support;
using static Membrane.Bpf.Asm.Register;
using Libc = Membrane.Bpf.Interop.Interop;

namespace Membrane.Bpf.Tests.RingBuffer;

/// <summary>Programs triggered by PROG_TEST_RUN write records; the reader sees them in order, without the discarded
/// ones, across the end of the buffer.</summary>
[Collection(KernelCollection.Name)]
public sealed class RingBufferTests
{
    /// <summary>Reserves 40 bytes (48 with the header, which does not divide the 4096-byte buffer, so records straddle
    /// its end), writes skb->mark into them, and submits them when the mark is even, discards them when it is odd.</summary>
    private static ProgramSpec ReserveSubmitOrDiscard() => new("mbr_rb_reserve", ProgramType.SchedCls,
    [
        Instruction.LoadMem(R6, R1, SkBuff.MarkOffset, Size.Word),
        Instruction.LoadMapPtr(R1, "events"),
        AluOperation.Mov.Imm(R2, 40),
        AluOperation.Mov.Imm(R3, 0),
        HelperFunction.RingbufReserve.Call(),
        JumpOperation.JEq.Imm(R0, 0, "out"),
        Instruction.StoreMem(R0, 0, R6, Size.Word),
        Instruction.StoreImm(R0, 4, 0, Size.Word),
        Instruction.StoreImm(R0, 8, 0, Size.DWord),
        Instruction.StoreImm(R0, 16, 0, Size.DWord),
        Instruction.StoreImm(R0, 24, 0, Size.DWord),
        Instruction.StoreImm(R0, 32, 0, Size.DWord),
        AluOperation.Mov.Reg(R1, R0),
        AluOperation.Mov.Imm(R2, 0),
        JumpOperation.JSet.Imm(R6, 1, "discard"),
        HelperFunction.RingbufSubmit.Call(),
        JumpOperation.Ja.Label("out"),
        HelperFunction.RingbufDiscard.Call().WithSymbol("discard"),
        AluOperation.Mov.Imm(R0, 0).WithSymbol("out"),
        Instruction.Exit(),
    ]);

    /// <summary>Copies skb->mark into an 8-byte stack record and outputs it with bpf_ringbuf_output.</summary>
    private static ProgramSpec OutputMark() => new("mbr_rb_output", ProgramType.SchedCls,
    [
        Instruction.LoadMem(R2, R1, SkBuff.MarkOffset, Size.Word),
        Instruction.StoreImm(R10, -8, 0, Size.DWord),
        Instruction.StoreMem(R10, -8, R2, Size.Word),
        Instruction.LoadMapPtr(R1, "events"),
        AluOperation.Mov.Reg(R2, R10),
        AluOperation.Add.Imm(R2, -8),
        AluOperation.Mov.Imm(R3, 8),
        AluOperation.Mov.Imm(R4, 0),
        HelperFunction.RingbufOutput.Call(),
        AluOperation.Mov.Imm(R0, 0),
        Instruction.Exit(),
    ]);

    [Fact]
    public void Records_skip_discards_and_read_in_order_across_the_wrap()
    {
        Root.Require();
        using var ring = BpfMap.Create(MapSpec.RingBuffer("mbr_events", 4096));
        using var program = BpfProgram.Load(ReserveSubmitOrDiscard(), new Dictionary<string, BpfMap> { ["events"] = ring });
        using var reader = new RingBufferReader(ring);
        var packet = Support.Programs.Packet();
        var buffer = new byte[64];
        var expected = 0u;
        // 400 records of 48 bytes is 19200 bytes: the 4096-byte buffer wraps more than four times.
        for (var batch = 0; batch < 8; batch++)
        {
            for (var i = 0; i < 50; i++)
            {
                var context = new SkBuff { Mark = (uint)(batch * 50 + i) };
                program.TestRun(packet, Span<byte>.Empty, ref context);
            }

            while (reader.TryRead(buffer, out var length))
            {
                Assert.Equal(40, length);
                Assert.Equal(expected, BitConverter.ToUInt32(buffer, 0));
                Assert.All(buffer[4..40], value => Assert.Equal(0, value));
                expected += 2; // odd marks were discarded
            }

            Assert.Equal(0, reader.PendingBytes);
        }

        Assert.Equal(400u, expected);
    }

    [Fact]
    public void Reading_allocates_nothing_per_record()
    {
        Root.Require();
        using var ring = BpfMap.Create(MapSpec.RingBuffer("mbr_events", 16384));
        using var program = BpfProgram.Load(OutputMark(), new Dictionary<string, BpfMap> { ["events"] = ring });
        using var reader = new RingBufferReader(ring);
        var packet = Support.Programs.Packet();
        for (var mark = 0u; mark < 500; mark++)
        {
            var context = new SkBuff { Mark = mark };
            program.TestRun(packet, Span<byte>.Empty, ref context);
        }

        var buffer = new byte[16];
        reader.TryRead(buffer, out _); // warm up
        var before = GC.GetAllocatedBytesForCurrentThread();
        var count = 1;
        while (reader.TryRead(buffer, out _))
        {
            count++;
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(500, count);
    }

    [Fact]
    public async Task Async_stream_waits_with_epoll_and_yields_records_in_order()
    {
        Root.Require();
        using var ring = BpfMap.Create(MapSpec.RingBuffer("mbr_events", 4096));
        using var program = BpfProgram.Load(OutputMark(), new Dictionary<string, BpfMap> { ["events"] = ring });
        using var reader = new RingBufferReader(ring);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));

        // The producer starts only after the consumer is waiting, so the first records arrive through epoll.
        var producer = Task.Run(async () =>
        {
            await Task.Delay(200, timeout.Token);
            var packet = Support.Programs.Packet();
            for (var mark = 1u; mark <= 100; mark++)
            {
                var context = new SkBuff { Mark = mark };
                program.TestRun(packet, Span<byte>.Empty, ref context);
                if (mark % 25 == 0)
                {
                    await Task.Delay(50, timeout.Token);
                }
            }
        }, timeout.Token);

        var received = new List<uint>();
        await foreach (var record in reader.ReadAllAsync(new byte[16], timeout.Token))
        {
            Assert.Equal(8, record.Length);
            received.Add(BitConverter.ToUInt32(record.Span));
            if (received.Count == 100)
            {
                break;
            }
        }

        await producer;
        Assert.Equal(Enumerable.Range(1, 100).Select(i => (uint)i), received);
    }

    [Fact]
    public async Task Waiting_read_is_cancelled_by_its_token()
    {
        Root.Require();
        using var ring = BpfMap.Create(MapSpec.RingBuffer("mbr_events", 4096));
        using var reader = new RingBufferReader(ring);
        using var cancellation = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await reader.ReadAsync(new byte[16], cancellation.Token));
    }

    [Fact]
    public async Task Disposing_while_the_async_stream_reads_ends_it_without_a_crash()
    {
        Root.Require();
        using var ring = BpfMap.Create(MapSpec.RingBuffer("mbr_events", 4096));
        using var program = BpfProgram.Load(OutputMark(), new Dictionary<string, BpfMap> { ["events"] = ring });
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        using var stopProducing = new CancellationTokenSource();

        // The producer keeps records coming, so the consumer is often inside a read (copying from the mapping) when
        // Dispose lands, and sometimes waiting in epoll for more. Unmapping under a read would crash the test host.
        var producer = Task.Run(() =>
        {
            var packet = Support.Programs.Packet();
            while (!stopProducing.IsCancellationRequested)
            {
                program.TestRun(packet, repeat: 32);
            }
        }, timeout.Token);

        var received = 0L;
        try
        {
            for (var round = 0; round < 300; round++)
            {
                var reader = new RingBufferReader(ring);
                var consumer = Task.Run(async () =>
                {
                    await foreach (var record in reader.ReadAllAsync(new byte[16], timeout.Token))
                    {
                        Assert.Equal(8, record.Length);
                        Interlocked.Increment(ref received);
                    }
                }, timeout.Token);

                // Dispose before the consumer starts, while it reads, or while it waits.
                if (round % 3 != 0)
                {
                    await Task.Delay(round % 3, timeout.Token);
                }

                reader.Dispose();
                // Disposal ends the stream normally (documented on ReadAllAsync): no ObjectDisposedException escapes.
                await consumer.WaitAsync(TimeSpan.FromSeconds(10), timeout.Token);
            }
        }
        finally
        {
            await stopProducing.CancelAsync();
            await producer;
        }

        Assert.True(Interlocked.Read(ref received) > 0, "the consumers should have read records between disposals");
    }

    [Fact]
    public async Task Pending_read_fails_with_object_disposed_when_the_reader_is_disposed()
    {
        Root.Require();
        using var ring = BpfMap.Create(MapSpec.RingBuffer("mbr_events", 4096));
        var reader = new RingBufferReader(ring);
        var pending = reader.ReadAsync(new byte[16], TestContext.Current.CancellationToken).AsTask();
        await Task.Delay(50, TestContext.Current.CancellationToken);
        Assert.False(pending.IsCompleted, "nothing was written, so the read should still wait");
        reader.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => pending.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => reader.ReadAsync(new byte[16], TestContext.Current.CancellationToken).AsTask());
        Assert.Throws<ObjectDisposedException>(() => reader.TryRead(new byte[16], out _));
        Assert.Throws<ObjectDisposedException>(() => reader.PendingBytes);
        reader.Dispose(); // a second Dispose does nothing
    }

    [Fact]
    public void Reader_keeps_the_map_descriptor_open_until_it_is_disposed()
    {
        Root.Require();
        var ring = BpfMap.Create(MapSpec.RingBuffer("mbr_events", 4096));
        var fd = ring.Handle.Value;
        using var reader = new RingBufferReader(ring);
        ring.Dispose();
        // The descriptor the mappings and the epoll registration were made through is still the map, not closed
        // (and possibly reused for another file).
        Assert.Equal("anon_inode:bpf-map", new FileInfo($"/proc/self/fd/{fd}").LinkTarget);
        Assert.Equal(0, reader.PendingBytes);
        Assert.False(reader.TryRead(new byte[16], out _));
    }

    [Fact]
    public async Task Epoll_wait_failure_surfaces_as_an_io_exception_instead_of_a_wake_up()
    {
        Root.Require();
        using var ring = BpfMap.Create(MapSpec.RingBuffer("mbr_events", 4096));
        using var waiter = new EpollWaiter(ring.Handle.Value, ring.Name);
        // Swap the epoll descriptor for /dev/null: epoll_wait then fails with EINVAL ("not an epoll descriptor") on
        // every call, which the waiter once reported as "readable", and the reader spun on forever.
        var devNull = Libc.Open("/dev/null", Libc.O_RDONLY | Libc.O_CLOEXEC);
        Assert.True(devNull >= 0, $"open /dev/null: {Errno.Name(Libc.LastErrno)}");
        try
        {
            Assert.Equal(waiter.EpollDescriptor, TestLibc.Dup2(devNull, waiter.EpollDescriptor));
        }
        finally
        {
            Libc.Close(devNull);
        }

        var error = await Assert.ThrowsAsync<IOException>(() =>
            waiter.WaitAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken));
        Assert.Contains("epoll_wait: EINVAL", error.Message);
        Assert.Contains("mbr_events", error.Message);
    }

    [Fact]
    public void Reader_refuses_a_map_that_is_not_a_ring_buffer()
    {
        Root.Require();
        using var map = BpfMap.Create(MapSpec.For<uint, uint>("mbr_notring", MapType.Array, 1));
        Assert.Throws<ArgumentException>(() => new RingBufferReader(map));
    }
}
