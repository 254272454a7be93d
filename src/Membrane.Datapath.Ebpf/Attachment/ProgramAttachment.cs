using Membrane.Bpf.Links;
using Membrane.Bpf.Programs;

namespace Membrane.Datapath.Ebpf.Attachment;

/// <summary>
/// A loaded SCHED_CLS program attached to one interface in one direction, through tcx or through tc clsact, and
/// detached by <see cref="Dispose"/>. The datapath attaches through this and never cares which mechanism the kernel
/// offers: <see cref="AttachMode.Auto"/> probes for tcx and falls back to tc on kernels that refuse it (RHEL 9's
/// 5.14, Ubuntu 22.04's 5.15). Either way the program's TC_ACT_* return value is the packet's verdict: tc filters are
/// made in direct-action mode, which is what tcx does natively.
/// </summary>
public abstract class ProgramAttachment : IDisposable
{
    private protected ProgramAttachment(AttachTarget target, AttachDirection direction, string programName)
    {
        Target = target;
        Direction = direction;
        ProgramName = programName;
    }

    /// <summary>The mechanism in use: <see cref="AttachMode.Tcx"/> or <see cref="AttachMode.TcClsact"/>, never Auto.</summary>
    public abstract AttachMode Mode { get; }

    public AttachTarget Target { get; }

    public AttachDirection Direction { get; }

    public string ProgramName { get; }

    /// <summary>What is attached where, for messages: <c>program 'drop' on dev eth0 ingress via tcx</c>.</summary>
    public string Description =>
        $"program '{ProgramName}' on {Target} {Direction.ToString().ToLowerInvariant()} via {(Mode == AttachMode.Tcx ? "tcx" : "tc clsact")}";

    /// <summary>
    /// Attaches <paramref name="program"/> to <paramref name="target"/> in <paramref name="direction"/>. With
    /// <see cref="AttachMode.Auto"/> the mode is tcx when <see cref="Tcx.IsSupported"/> finds it, else tc; the other
    /// modes force one, so tests can exercise both on a kernel that has tcx. <paramref name="placement"/> names the tc
    /// filter (ignored for tcx, where links need no name).
    /// </summary>
    public static ProgramAttachment Attach(
        BpfProgram program, AttachTarget target, AttachDirection direction, AttachMode mode = AttachMode.Auto, TcPlacement? placement = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(target);
        if (program.Type != ProgramType.SchedCls)
        {
            throw new ArgumentException($"only SCHED_CLS programs attach to interfaces; '{program.Name}' is {program.Type}", nameof(program));
        }

        return ResolveMode(mode) switch
        {
            AttachMode.Tcx => TcxAttachment.Attach(program, target, direction),
            _ => TcClsactAttachment.Attach(program, target, direction, placement ?? TcPlacement.Default),
        };
    }

    /// <summary>
    /// Takes over what an earlier process attached and left in place (an agent restarting after a crash, a stop or an
    /// upgrade), in the mode it was made in: in <see cref="AttachMode.Tcx"/> the link pinned at
    /// <paramref name="pinPath"/>, in <see cref="AttachMode.TcClsact"/> the filter at <paramref name="placement"/>. One
    /// that runs <paramref name="program"/> is kept as it is, so enforcement never stops. One that runs another program
    /// (its datapath was loaded anew, so it runs on maps nobody writes any more) is replaced without a moment
    /// unfiltered: a tcx link by attaching the new one before removing the old, a tc filter in place with one netlink
    /// replace. When nothing is there, it attaches (and pins) anew.
    /// </summary>
    public static ProgramAttachment Adopt(
        BpfProgram program, AttachTarget target, AttachDirection direction, AttachMode mode, string? pinPath, TcPlacement? placement = null)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentNullException.ThrowIfNull(target);
        return mode switch
        {
            AttachMode.Tcx => TcxAttachment.Adopt(program, target, direction, pinPath),
            AttachMode.TcClsact => TcClsactAttachment.Adopt(program, target, direction, placement ?? TcPlacement.Default),
            _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, "adopting needs the mode the attachment was made in"),
        };
    }

    /// <summary>The mode <paramref name="requested"/> means on this kernel: Auto becomes tcx or tc by probing.</summary>
    public static AttachMode ResolveMode(AttachMode requested) => requested switch
    {
        AttachMode.Auto => Tcx.IsSupported ? AttachMode.Tcx : AttachMode.TcClsact,
        AttachMode.Tcx or AttachMode.TcClsact => requested,
        _ => throw new ArgumentOutOfRangeException(nameof(requested), requested, "not an attach mode"),
    };

    /// <summary>
    /// Makes the attachment outlive this process (an agent crash must not take enforcement away): a tcx link is
    /// pinned at <paramref name="path"/> on a bpf file system. A tc filter already outlives the process (the qdisc holds
    /// the program), so for it there is nothing to pin. Dispose removes the pin again.
    /// </summary>
    public abstract void Pin(string path);

    /// <summary>
    /// Checks that a pinned attachment is still pinned at <paramref name="path"/> as itself, and pins it again when the
    /// pin was removed (a tcx link with no pin detaches when its last descriptor closes: at the next stop or crash).
    /// Null when nothing needed doing; a tc filter needs no pin.
    /// </summary>
    public abstract Loading.PinRepair? RepairPin(string path);

    /// <summary>
    /// Lets go of the attachment and leaves it in place: a tcx link keeps its pin (so it stays attached), a tc filter
    /// stays on its hook. An agent that stops with endpoints left does this, and the next one takes them back with
    /// <see cref="Adopt"/>. After it, Dispose does nothing.
    /// </summary>
    public abstract void Release();

    /// <summary>
    /// Removes the attachment's pin and keeps it attached while this object lives: for a tcx link whose interface is
    /// about to go, so that its release later finds it defunct (releasing a live tcx link waits out an RCU grace period,
    /// kernel/bpf/tcx.c). A tc filter has no pin.
    /// </summary>
    public virtual void Unpin()
    {
    }

    /// <summary>Detaches the program. An interface that is gone already took the attachment with it, which is not an
    /// error here.</summary>
    public abstract void Dispose();

    public override string ToString() => Description;
}
