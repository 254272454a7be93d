using Membrane.Bpf.Interop;
using Membrane.Bpf.Programs;

namespace Membrane.Bpf.Links;

/// <summary>
/// tcx: the link-based traffic-control hook (Linux 6.6, kernel/bpf/tcx.c). A SCHED_CLS program attached here runs for
/// every packet an interface receives (ingress) or sends (egress), before any legacy tc filter, and its TC_ACT_*
/// return value decides the packet's fate (TC_ACT_SHOT drops it).
/// </summary>
public static class Tcx
{
    /// <summary>The first kernel with tcx.</summary>
    public static readonly KernelVersion MinimumKernel = new(6, 6, 0);

    // enum bpf_attach_type, uapi linux/bpf.h.
    private const uint AttachTypeIngress = 46;
    private const uint AttachTypeEgress = 47;

    /// <summary>
    /// Attaches <paramref name="program"/> to the interface with index <paramref name="ifindex"/>. The index is
    /// resolved in the calling thread's network namespace; to attach in another namespace, call this from a thread
    /// that has entered it. The program stays attached while the returned link is open or pinned.
    /// </summary>
    public static BpfLink Attach(BpfProgram program, int ifindex, TcxDirection direction)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifindex);
        EnsureSupported(KernelVersion.Current);
        if (program.Type != ProgramType.SchedCls)
        {
            throw new ArgumentException($"tcx runs SCHED_CLS programs; '{program.Name}' is {program.Type}", nameof(program));
        }

        var description = $"tcx {direction.ToString().ToLowerInvariant()} ifindex {ifindex} (program '{program.Name}')";
        using var lease = program.Handle.Acquire();
        var attr = new LinkCreateTcxAttr
        {
            ProgFd = lease.Fd,
            TargetIfindex = (uint)ifindex,
            AttachType = direction == TcxDirection.Ingress ? AttachTypeIngress : AttachTypeEgress,
        };
        var fd = BpfSyscall.Invoke(BpfCommand.LinkCreate, ref attr);
        return fd >= 0
            ? new BpfLink(new BpfFileDescriptor(fd), description, pinnedPath: null)
            : throw new BpfLinkException(description, "attach", BpfCommand.LinkCreate, -fd);
    }

    /// <summary>Throws a <see cref="NotSupportedException"/> naming the kernel when it predates tcx.</summary>
    internal static void EnsureSupported(KernelVersion kernel)
    {
        if (kernel < MinimumKernel)
        {
            throw new NotSupportedException(
                $"tcx needs Linux {MinimumKernel.Major}.{MinimumKernel.Minor} or later; this kernel is {kernel}. " +
                "The toolkit attaches traffic-control programs with tcx only, so this kernel cannot run them");
        }
    }
}
