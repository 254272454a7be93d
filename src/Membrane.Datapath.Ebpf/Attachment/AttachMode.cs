namespace Membrane.Datapath.Ebpf.Attachment;

/// <summary>How a program is attached to an interface.</summary>
public enum AttachMode
{
    /// <summary>tcx when the kernel has it (probed, <see cref="Membrane.Bpf.Links.Tcx.IsSupported"/>), else tc.</summary>
    Auto,

    /// <summary>A tcx link (Linux 6.6 or a backport): owned by its descriptor, runs before any tc filter.</summary>
    Tcx,

    /// <summary>A cls_bpf filter in direct-action mode on a clsact qdisc: every kernel since 4.5.</summary>
    TcClsact,
}
