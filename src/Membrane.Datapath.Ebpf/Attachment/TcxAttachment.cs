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
        var tcxDirection = direction == AttachDirection.Ingress ? TcxDirection.Ingress : TcxDirection.Egress;
        BpfLink AttachHere()
        {
            using var netlink = Rtnetlink.Open();
            return Tcx.Attach(program, netlink.GetLink(target.InterfaceName).Index, tcxDirection);
        }

        var link = target.Namespace is { } networkNamespace ? networkNamespace.Run(AttachHere) : AttachHere();
        return new TcxAttachment(link, target, direction, program.Name);
    }

    /// <summary>The link pinned at <paramref name="path"/>, kept pinned; Dispose unpins and closes it, which detaches.</summary>
    public static TcxAttachment Reopen(string path, AttachTarget target, AttachDirection direction, string programName) =>
        new(BpfLink.OpenPinned(path), target, direction, programName);

    public override void Pin(string path) => link.Pin(path);

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
