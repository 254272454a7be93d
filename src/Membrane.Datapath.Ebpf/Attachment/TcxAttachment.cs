using Membrane.Bpf.Links;
using Membrane.Bpf.Programs;
using Membrane.Netlink;

namespace Membrane.Datapath.Ebpf.Attachment;

/// <summary>A tcx link. BPF_LINK_CREATE resolves the interface index in the calling thread's namespace, so for a
/// target in another namespace the link is made on a dedicated thread inside it; the link's descriptor then works
/// from any thread, and closing it detaches.</summary>
internal sealed class TcxAttachment : ProgramAttachment
{
    private readonly BpfLink link;
    private bool released;

    private TcxAttachment(BpfLink link, AttachTarget target, AttachDirection direction, string programName)
        : base(target, direction, programName)
    {
        this.link = link;
    }

    public override AttachMode Mode => AttachMode.Tcx;

    public static TcxAttachment Attach(BpfProgram program, AttachTarget target, AttachDirection direction)
    {
        BpfLink AttachHere()
        {
            using var netlink = Rtnetlink.Open();
            return Tcx.Attach(program, netlink.GetLink(target.InterfaceName).Index, TcxDirectionOf(direction));
        }

        var link = target.Namespace is { } networkNamespace ? networkNamespace.Run(AttachHere) : AttachHere();
        return new TcxAttachment(link, target, direction, program.Name);
    }

    /// <summary>
    /// The link already attaching <paramref name="program"/> at this target, taken back, or a new one. The kernel
    /// attaches a program once per hook (a second BPF_LINK_CREATE answers EEXIST), so a link whose pin was moved aside,
    /// or swapped with another's, while it stayed attached must be found by its id rather than made again.
    /// </summary>
    private static TcxAttachment TakeBackOrAttach(BpfProgram program, AttachTarget target, AttachDirection direction)
    {
        BpfLink? Find()
        {
            using var netlink = Rtnetlink.Open();
            var attached = Tcx.Query(netlink.GetLink(target.InterfaceName).Index, TcxDirectionOf(direction));
            return attached.FirstOrDefault(a => a.ProgramId == program.Id && a.LinkId != 0) is { LinkId: var id and not 0 }
                ? BpfLink.OpenById(id)
                : null;
        }

        var found = target.Namespace is { } networkNamespace ? networkNamespace.Run(Find) : Find();
        return found is null ? Attach(program, target, direction) : new TcxAttachment(found, target, direction, program.Name);
    }

    private static TcxDirection TcxDirectionOf(AttachDirection direction) => direction == AttachDirection.Ingress ? TcxDirection.Ingress : TcxDirection.Egress;

    /// <summary>The target interface's index, in its namespace.</summary>
    private static int IndexOf(AttachTarget target)
    {
        using var netlink = target.Namespace is { } networkNamespace ? Rtnetlink.Open(networkNamespace) : Rtnetlink.Open();
        return netlink.GetLink(target.InterfaceName).Index;
    }

    /// <summary>See <see cref="ProgramAttachment.Adopt"/>: the link pinned at <paramref name="pinPath"/> if it runs
    /// <paramref name="program"/> on this target; else the link that attaches it there under another pin; else a new one, attached before the old is unpinned (with no pin and
    /// no descriptor left, the old one detaches), and pinned in its place. A link pinned here for another target is
    /// unpinned first, since it filters nothing here.</summary>
    public static TcxAttachment Adopt(BpfProgram program, AttachTarget target, AttachDirection direction, string? pinPath)
    {
        if (pinPath is null || !File.Exists(pinPath))
        {
            var attached = TakeBackOrAttach(program, target, direction);
            if (pinPath is not null)
            {
                attached.PinOrDetach(pinPath);
            }

            return attached;
        }

        var old = BpfLink.OpenPinned(pinPath);
        try
        {
            // A link pinned here that attaches elsewhere (another interface or direction) is not this one's: its pin is
            // in the wrong place, and is taken away; this target gets a link of its own.
            if (old.TcxTarget != (IndexOf(target), TcxDirectionOf(direction)))
            {
                old.Unpin();
                old.Dispose();
                var attached = TakeBackOrAttach(program, target, direction);
                attached.PinOrDetach(pinPath);
                return attached;
            }

            if (old.ProgramId == program.Id)
            {
                return new TcxAttachment(old, target, direction, program.Name);
            }

            var replacement = TakeBackOrAttach(program, target, direction);
            old.Unpin();
            old.Dispose();
            replacement.PinOrDetach(pinPath);
            return replacement;
        }
        catch
        {
            old.Dispose();
            throw;
        }
    }

    private void PinOrDetach(string path)
    {
        try
        {
            link.Pin(path);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public override void Pin(string path) => link.Pin(path);

    public override void Unpin()
    {
        if (link.PinnedPath is not null)
        {
            link.Unpin();
        }
    }

    public override Loading.PinRepair? RepairPin(string path) => released ? null : Loading.PinRepair.Check(path, link.IsPinnedAt, link.Pin);

    public override void Release()
    {
        released = true;
        link.Dispose();
    }

    public override void Dispose()
    {
        if (released)
        {
            return;
        }

        if (link.PinnedPath is not null)
        {
            link.Unpin();
        }

        link.Dispose();
    }
}
