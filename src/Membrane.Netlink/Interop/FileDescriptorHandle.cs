using System.Runtime.InteropServices;

namespace Membrane.Netlink.Interop;

/// <summary>Owns a file descriptor (a netlink socket or a network namespace) and closes it exactly once.</summary>
internal sealed class FileDescriptorHandle : SafeHandle
{
    public FileDescriptorHandle(int fd)
        : base(invalidHandleValue: -1, ownsHandle: true)
    {
        SetHandle(fd);
    }

    public override bool IsInvalid => handle < 0;

    /// <summary>The descriptor number; valid only while the handle is open, so callers hold a lease (<see cref="Lease"/>)
    /// across the call that uses it.</summary>
    public int Value => (int)handle;

    protected override bool ReleaseHandle() => Libc.Close((int)handle) == 0;

    /// <summary>Keeps the descriptor open for the duration of a call, so a concurrent Dispose cannot close it (and let
    /// the number be reused for another file) mid-call.</summary>
    public Lease Acquire()
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        var added = false;
        DangerousAddRef(ref added);
        return new Lease(this);
    }

    public readonly struct Lease(FileDescriptorHandle owner) : IDisposable
    {
        public int Fd { get; } = owner.Value;

        public void Dispose() => owner.DangerousRelease();
    }
}
