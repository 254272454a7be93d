using Membrane.Bpf.Interop;

namespace Membrane.Bpf.Links;

/// <summary>
/// An attachment of a program to a hook, owning the link's descriptor. Closing the last descriptor detaches the
/// program unless the link is pinned: a pin on bpffs keeps the attachment after the process exits, until the pin is
/// removed (<see cref="Unpin"/>, <see cref="BpfFileSystem.Unpin"/> or <c>rm</c>) and no descriptor remains, or until
/// <see cref="Detach"/>.
/// </summary>
public sealed class BpfLink : IDisposable
{
    internal BpfLink(BpfFileDescriptor handle, string description, string? pinnedPath)
    {
        Handle = handle;
        Description = description;
        PinnedPath = pinnedPath;
    }

    public BpfFileDescriptor Handle { get; }

    /// <summary>What the link attaches, for messages: e.g. <c>tcx ingress ifindex 4 (program 'drop')</c>.</summary>
    public string Description { get; }

    /// <summary>Where this link is pinned, if this object pinned or opened it.</summary>
    public string? PinnedPath { get; private set; }

    /// <summary>Opens the link pinned at <paramref name="path"/>. Throws <see cref="ArgumentException"/> when a map or
    /// program is pinned there instead.</summary>
    public static BpfLink OpenPinned(string path)
    {
        var fd = BpfFileSystem.OpenPinned(path, BpfObjectKind.Link);
        return fd >= 0
            ? new BpfLink(new BpfFileDescriptor(fd), $"pinned at {path}", path)
            : throw new BpfLinkException($"pinned at {path}", "open pinned", BpfCommand.ObjGet, -fd);
    }

    /// <summary>
    /// Opens the link with the kernel's id <paramref name="id"/> (BPF_LINK_GET_FD_BY_ID, Linux 5.8), as listed by
    /// <see cref="Tcx.Query"/>: how a link whose pin was moved or removed is taken back.
    /// </summary>
    public static BpfLink OpenById(uint id)
    {
        var attr = new GetFdByIdAttr { Id = id };
        var fd = BpfSyscall.Invoke(BpfCommand.LinkGetFdById, ref attr);
        return fd >= 0
            ? new BpfLink(new BpfFileDescriptor(fd), $"id {id}", pinnedPath: null)
            : throw new BpfLinkException($"id {id}", "open by id", BpfCommand.LinkGetFdById, -fd);
    }

    /// <summary>
    /// The kernel's id of the program this link runs (as <c>bpftool link show</c> lists it): how a process that opens a
    /// pinned link tells whether it still runs the program it expects.
    /// </summary>
    public uint ProgramId => Info().ProgramId;

    /// <summary>
    /// Where a tcx link attaches: the interface index and the direction; null for a link of another type. How a process
    /// that opens a pinned link tells it is the one for that interface, and not another's pinned at its path.
    /// </summary>
    public (int Ifindex, TcxDirection Direction)? TcxTarget
    {
        get
        {
            var info = Info();
            return info.Type == LinkTypeTcx
                ? ((int)info.TcxIfindex, info.TcxAttachType == Tcx.AttachTypeEgress ? TcxDirection.Egress : TcxDirection.Ingress)
                : null;
        }
    }

    // enum bpf_link_type, uapi linux/bpf.h.
    private const uint LinkTypeTcx = 11;

    private unsafe LinkInfo Info()
    {
        using var lease = Handle.Acquire();
        var info = default(LinkInfo);
        var attr = new ObjGetInfoAttr { BpfFd = lease.Fd, InfoLen = (uint)sizeof(LinkInfo), Info = (ulong)&info };
        var result = BpfSyscall.Invoke(BpfCommand.ObjGetInfoByFd, ref attr);
        return result < 0 ? throw new BpfLinkException(Description, "get info", BpfCommand.ObjGetInfoByFd, -result) : info;
    }

    /// <summary>Pins the link at <paramref name="path"/> on bpffs so that the attachment outlives this process.</summary>
    public void Pin(string path)
    {
        var result = BpfFileSystem.Pin(Handle, path);
        if (result < 0)
        {
            throw new BpfLinkException(Description, $"pin at {path}", BpfCommand.ObjPin, -result);
        }

        PinnedPath = path;
    }

    /// <summary>Whether <paramref name="path"/> pins this very link (the same kernel object, not one that replaced it).</summary>
    public bool IsPinnedAt(string path) => BpfFileSystem.Holds(path, Handle, BpfObjectKind.Link);

    /// <summary>Removes this link's pin. The program stays attached while this handle (or another descriptor) is open.</summary>
    public void Unpin()
    {
        if (PinnedPath is { } path)
        {
            BpfFileSystem.Unpin(path);
            PinnedPath = null;
        }
    }

    /// <summary>Detaches the program now (BPF_LINK_DETACH, Linux 5.9), whatever pins or descriptors remain; the link
    /// object stays, defunct, until they are gone.</summary>
    public void Detach()
    {
        using var lease = Handle.Acquire();
        var attr = new LinkDetachAttr { LinkFd = lease.Fd };
        var result = BpfSyscall.Invoke(BpfCommand.LinkDetach, ref attr);
        if (result < 0)
        {
            throw new BpfLinkException(Description, "detach", BpfCommand.LinkDetach, -result);
        }
    }

    /// <summary>Closes this descriptor; an unpinned link with no other descriptor detaches.</summary>
    public void Dispose() => Handle.Dispose();

    public override string ToString() => $"link {Description}";
}
