using Membrane.Bpf.Asm;
using Membrane.Bpf.Interop;
using Membrane.Bpf.Programs;
using static Membrane.Bpf.Asm.Register;

namespace Membrane.Bpf.Links;

/// <summary>
/// tcx: the link-based traffic-control hook (Linux 6.6, kernel/bpf/tcx.c). A SCHED_CLS program attached here runs for
/// every packet an interface receives (ingress) or sends (egress), before any legacy tc filter, and its TC_ACT_*
/// return value decides the packet's fate (TC_ACT_SHOT drops it).
/// <para>
/// Whether the kernel has tcx is probed, not read from its version: distributions backport features into kernels
/// whose version predates them (RHEL 9 says 5.14), so a version gate misreads them either way.
/// </para>
/// </summary>
public static class Tcx
{
    /// <summary>The probe's outcome: 0 not yet probed, 1 supported, 2 not supported. A probe that could not run (no
    /// privileges) is not remembered, so it runs again once it can.</summary>
    private static int probed;

    // enum bpf_attach_type, uapi linux/bpf.h.
    internal const uint AttachTypeIngress = 46;
    internal const uint AttachTypeEgress = 47;

    /// <summary>
    /// Attaches <paramref name="program"/> to the interface with index <paramref name="ifindex"/>. The index is
    /// resolved in the calling thread's network namespace; to attach in another namespace, call this from a thread
    /// that has entered it. The program stays attached while the returned link is open or pinned.
    /// </summary>
    public static BpfLink Attach(BpfProgram program, int ifindex, TcxDirection direction)
    {
        ArgumentNullException.ThrowIfNull(program);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifindex);
        EnsureSupported();
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

    /// <summary>
    /// The programs attached at a hook, first to run first, each with its link (BPF_PROG_QUERY). How a process finds a
    /// link whose pin was moved or removed while its program stays attached: the kernel attaches a program once per
    /// hook (a second attach is EEXIST), so that link is the only way to its place. The index is resolved in the calling
    /// thread's network namespace, as for <see cref="Attach"/>.
    /// </summary>
    public static unsafe IReadOnlyList<TcxAttachedLink> Query(int ifindex, TcxDirection direction)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifindex);
        EnsureSupported();
        var description = $"tcx {direction.ToString().ToLowerInvariant()} ifindex {ifindex}";
        var attachType = direction == TcxDirection.Ingress ? AttachTypeIngress : AttachTypeEgress;

        // The count first, then the ids; a hook that gains programs between the two calls answers ENOSPC, and is asked
        // again with room for them.
        for (var attempt = 0; ; attempt++)
        {
            var probe = new ProgQueryAttr { TargetIfindex = (uint)ifindex, AttachType = attachType };
            var counted = BpfSyscall.Invoke(BpfCommand.ProgQuery, ref probe);
            if (counted < 0)
            {
                throw new BpfLinkException(description, "query", BpfCommand.ProgQuery, -counted);
            }

            var count = (int)probe.Count;
            if (count == 0)
            {
                return [];
            }

            var programs = new uint[count];
            var links = new uint[count];
            fixed (uint* programIds = programs)
            fixed (uint* linkIds = links)
            {
                var attr = new ProgQueryAttr
                {
                    TargetIfindex = (uint)ifindex, AttachType = attachType, Count = (uint)count,
                    ProgIds = (ulong)programIds, LinkIds = (ulong)linkIds,
                };
                var result = BpfSyscall.Invoke(BpfCommand.ProgQuery, ref attr);
                if (result == -Errno.ENOSPC && attempt < 3)
                {
                    continue;
                }

                if (result < 0)
                {
                    throw new BpfLinkException(description, "query", BpfCommand.ProgQuery, -result);
                }

                return [.. Enumerable.Range(0, (int)attr.Count).Select(i => new TcxAttachedLink(programs[i], links[i]))];
            }
        }
    }

    /// <summary>
    /// Whether this kernel attaches programs with tcx, probed once as cilium/ebpf's <c>link/syscalls.go</c>
    /// (<c>haveTCX</c>) does: a trivial SCHED_CLS program is linked with the tcx ingress attach type to interface
    /// index 0xffffffff, which cannot exist. A kernel with tcx checks the attach type, then looks the interface up and
    /// answers ENODEV (kernel/bpf/tcx.c <c>tcx_link_attach</c>); one without it refuses the attach type itself, with
    /// EINVAL (kernel/bpf/syscall.c <c>link_create</c> rejects unknown attach types). Needs the privileges a program
    /// load needs; without them the <see cref="BpfException"/> of the load propagates.
    /// </summary>
    public static bool IsSupported
    {
        get
        {
            if (probed == 0)
            {
                probed = Probe() ? 1 : 2;
            }

            return probed == 1;
        }
    }

    /// <summary>Throws a <see cref="NotSupportedException"/> when the probe finds no tcx in this kernel.</summary>
    internal static void EnsureSupported()
    {
        if (!IsSupported)
        {
            throw new NotSupportedException(
                $"tcx is not available: this kernel ({KernelVersion.Current}) refuses BPF_LINK_CREATE with the tcx attach " +
                "type. Attach traffic-control programs through a tc clsact qdisc and a cls_bpf filter instead");
        }
    }

    private static bool Probe()
    {
        using var program = BpfProgram.Load(new ProgramSpec(
            "mbr_tcx_probe", ProgramType.SchedCls, [AluOperation.Mov.Imm(R0, 0), Instruction.Exit()]));
        using var lease = program.Handle.Acquire();
        var attr = new LinkCreateTcxAttr { ProgFd = lease.Fd, TargetIfindex = uint.MaxValue, AttachType = AttachTypeIngress };
        var result = BpfSyscall.Invoke(BpfCommand.LinkCreate, ref attr);
        if (result >= 0)
        {
            Interop.Interop.Close(result);
        }

        return InterpretProbe(result);
    }

    /// <summary>
    /// Reads the probe's result: ENODEV means the attach type was understood and only the interface is missing, so
    /// tcx exists. Any other error (EINVAL for an unknown attach type, EOPNOTSUPP, ENOTSUPP) means it does not. A
    /// success cannot happen for a missing interface; if it ever did, the link was made, so tcx exists.
    /// </summary>
    internal static bool InterpretProbe(int result) => result >= 0 || -result == Errno.ENODEV;
}
