using System.Threading.Tasks.Sources;

namespace Membrane.Bpf.RingBuffer;

/// <summary>
/// Waits for a descriptor to become readable with epoll on a dedicated thread and completes a reusable
/// <see cref="IValueTaskSource"/>, so waiting allocates nothing. .NET exposes no way to await readiness of an
/// arbitrary descriptor, hence the thread; an eventfd in the same epoll set wakes it for cancellation and disposal.
/// </summary>
internal sealed unsafe class EpollWaiter : IValueTaskSource, IDisposable
{
    private readonly int epollFd;
    private readonly int eventFd;
    private readonly Thread thread;
    private readonly SemaphoreSlim armed = new(0);
    private ManualResetValueTaskSourceCore<bool> completion = new() { RunContinuationsAsynchronously = true };
    private CancellationToken cancellation;
    private CancellationTokenRegistration registration;
    private volatile bool disposed;

    public EpollWaiter(int fd, string name)
    {
        epollFd = Interop.Interop.EpollCreate1(Interop.Interop.EPOLL_CLOEXEC);
        if (epollFd < 0)
        {
            throw new IOException($"epoll_create1: {Errno.Name(Interop.Interop.LastErrno)}");
        }

        eventFd = Interop.Interop.EventFd(0, Interop.Interop.EFD_CLOEXEC | Interop.Interop.EFD_NONBLOCK);
        if (eventFd < 0)
        {
            var errno = Interop.Interop.LastErrno;
            Interop.Interop.Close(epollFd);
            throw new IOException($"eventfd: {Errno.Name(errno)}");
        }

        try
        {
            Add(fd);
            Add(eventFd);
        }
        catch
        {
            Interop.Interop.Close(eventFd);
            Interop.Interop.Close(epollFd);
            throw;
        }

        thread = new Thread(Run) { IsBackground = true, Name = $"epoll {name}" };
        thread.Start();
    }

    /// <summary>Completes when the descriptor is readable (level-triggered: at once if it already is).</summary>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        completion.Reset();
        cancellation = cancellationToken;
        if (cancellationToken.CanBeCanceled)
        {
            registration = cancellationToken.UnsafeRegister(static state => ((EpollWaiter)state!).Wake(), this);
        }

        armed.Release();
        return new ValueTask(this, completion.Version);
    }

    private void Run()
    {
        var events = stackalloc byte[Interop.Interop.EpollEventSize * 2];
        while (true)
        {
            armed.Wait();
            if (disposed)
            {
                return;
            }

            while (Interop.Interop.EpollWait(epollFd, events, 2, -1) < 0 && Interop.Interop.LastErrno == Errno.EINTR)
            {
            }

            ulong drained;
            Interop.Interop.Read(eventFd, &drained, sizeof(ulong));
            registration.Dispose();
            if (disposed)
            {
                completion.SetException(new ObjectDisposedException(nameof(RingBufferReader)));
                return;
            }

            if (cancellation.IsCancellationRequested)
            {
                completion.SetException(new OperationCanceledException(cancellation));
            }
            else
            {
                completion.SetResult(true);
            }
        }
    }

    private void Add(int fd)
    {
        var eventStruct = stackalloc byte[Interop.Interop.EpollEventSize];
        new Span<byte>(eventStruct, Interop.Interop.EpollEventSize).Clear();
        *(uint*)eventStruct = Interop.Interop.EPOLLIN;
        *(int*)(eventStruct + Interop.Interop.EpollEventDataOffset) = fd;
        if (Interop.Interop.EpollCtl(epollFd, Interop.Interop.EPOLL_CTL_ADD, fd, eventStruct) != 0)
        {
            throw new IOException($"epoll_ctl add fd {fd}: {Errno.Name(Interop.Interop.LastErrno)}");
        }
    }

    private void Wake()
    {
        ulong one = 1;
        Interop.Interop.Write(eventFd, &one, sizeof(ulong));
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        Wake();
        armed.Release();
        thread.Join();
        Interop.Interop.Close(eventFd);
        Interop.Interop.Close(epollFd);
        armed.Dispose();
    }

    void IValueTaskSource.GetResult(short token) => completion.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => completion.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        completion.OnCompleted(continuation, state, token, flags);
}
