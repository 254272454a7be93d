using System.Threading.Tasks.Sources;

namespace Membrane.Bpf.RingBuffer;

/// <summary>
/// Waits for a descriptor to become readable with epoll on a dedicated thread and completes a reusable
/// <see cref="IValueTaskSource"/>, so waiting allocates nothing. .NET exposes no way to await readiness of an
/// arbitrary descriptor, hence the thread; an eventfd in the same epoll set wakes it for cancellation and disposal.
/// <para>
/// Shutting down takes two steps because the owner may be disposed while a wait is pending on another thread:
/// <see cref="Stop"/> fails the pending wait and every later one, and is safe at any time; <see cref="Dispose"/> ends
/// the thread and closes the descriptors, and the owner calls it only once no wait can be pending or start.
/// </para>
/// </summary>
internal sealed unsafe class EpollWaiter : IValueTaskSource, IDisposable
{
    private readonly int epollFd;
    private readonly int eventFd;
    private readonly string name;
    private readonly Thread thread;
    private readonly SemaphoreSlim armed = new(0);
    private ManualResetValueTaskSourceCore<bool> completion = new() { RunContinuationsAsynchronously = true };
    private CancellationToken cancellation;
    private CancellationTokenRegistration registration;
    private volatile bool stopped;
    private volatile bool exiting;

    public EpollWaiter(int fd, string name)
    {
        this.name = name;
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

    /// <summary>The epoll descriptor, so a test can break it and see the failure surface.</summary>
    internal int EpollDescriptor => epollFd;

    /// <summary>
    /// Completes when the descriptor is readable (level-triggered: at once if it already is). Fails with
    /// <see cref="ObjectDisposedException"/> once stopped, <see cref="OperationCanceledException"/> when the token is
    /// cancelled, and <see cref="IOException"/> when epoll_wait itself fails.
    /// </summary>
    public ValueTask WaitAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(stopped, typeof(RingBufferReader));
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

    /// <summary>Fails the pending wait, if any, and every later one with <see cref="ObjectDisposedException"/>. The
    /// flag is set before the wake-up, so the thread, woken by it, sees the flag.</summary>
    public void Stop()
    {
        if (stopped)
        {
            return;
        }

        stopped = true;
        Wake();
    }

    private void Run()
    {
        var events = stackalloc byte[Interop.Interop.EpollEventSize * 2];
        while (true)
        {
            armed.Wait();
            if (exiting)
            {
                return;
            }

            // EINTR only means a signal arrived first; any other errno (EBADF, EINVAL, EFAULT) will not go away by
            // retrying, and reporting it as "readable" would make the reader spin on it forever.
            var errno = 0;
            while (Interop.Interop.EpollWait(epollFd, events, 2, -1) < 0)
            {
                errno = Interop.Interop.LastErrno;
                if (errno != Errno.EINTR)
                {
                    break;
                }

                errno = 0;
            }

            ulong drained;
            Interop.Interop.Read(eventFd, &drained, sizeof(ulong));
            registration.Dispose();
            if (stopped)
            {
                completion.SetException(new ObjectDisposedException(nameof(RingBufferReader)));
            }
            else if (cancellation.IsCancellationRequested)
            {
                completion.SetException(new OperationCanceledException(cancellation));
            }
            else if (errno != 0)
            {
                completion.SetException(new IOException($"ring buffer '{name}': epoll_wait: {Errno.Name(errno)} (errno {errno})"));
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

    /// <summary>Stops, ends the thread and closes the descriptors. The caller guarantees that no wait is pending or
    /// starting, so the eventfd cannot be written after it is closed (and its number reused).</summary>
    public void Dispose()
    {
        if (exiting)
        {
            return;
        }

        Stop();
        exiting = true;
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
