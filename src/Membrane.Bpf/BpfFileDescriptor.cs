using System.Runtime.InteropServices;
using Membrane.Bpf.Interop;

namespace Membrane.Bpf;

/// <summary>
/// Owns the file descriptor of a kernel BPF object (map, program or link) and closes it exactly once. The kernel frees
/// the object when its last descriptor closes and no pin or attachment holds it.
/// </summary>
public sealed class BpfFileDescriptor : SafeHandle
{
    internal BpfFileDescriptor(int fd)
        : base(invalidHandleValue: -1, ownsHandle: true)
    {
        SetHandle(fd);
    }

    public override bool IsInvalid => handle < 0;

    /// <summary>The descriptor number, for display and for embedding in instructions (map fd references). It stays
    /// valid only while this handle is open.</summary>
    public int Value => (int)handle;

    protected override bool ReleaseHandle() => Interop.Interop.Close((int)handle) == 0;

    /// <summary>Keeps the descriptor open for the duration of a syscall, so a concurrent Dispose cannot close it (and
    /// let the number be reused) mid-call.</summary>
    internal Lease Acquire()
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        var added = false;
        DangerousAddRef(ref added);
        return new Lease(this, (uint)handle);
    }

    internal readonly ref struct Lease(BpfFileDescriptor owner, uint fd)
    {
        public uint Fd { get; } = fd;

        public void Dispose() => owner.DangerousRelease();
    }
}
