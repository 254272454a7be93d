using Membrane.Bpf.Asm;
using Membrane.Bpf.Programs;

namespace Membrane.Datapath.Ebpf.Generator;

/// <summary>
/// Emits the two programs of docs/datapath.md §1: <see cref="FromEndpointName"/> (tcx ingress of the host-side veth,
/// the endpoint's egress policy) and <see cref="ToEndpointName"/> (tcx egress, its ingress policy). Both are the
/// per-packet path of §2 in the twin's stages: Endpoint, Parse, AlwaysAllowed, SourceAddress (egress only), LaterFragment, Conntrack, Identity,
/// Policy, Record, Account. Each is one straight program without loops or calls to other functions, so the verifier
/// walks it once per distinct path, and both stay well within 4,096 instructions and 131,072 processed ones.
/// </summary>
public static class DatapathProgramGenerator
{
    public const string FromEndpointName = "mbr_from_ep";
    public const string ToEndpointName = "mbr_to_ep";

    /// <summary>GPL-compatible, which the helpers the programs call need (include/linux/license.h).</summary>
    public const string License = "Dual MIT/GPL";

    /// <summary>The program enforcing <paramref name="direction"/>: egress is <see cref="FromEndpointName"/>.</summary>
    public static ProgramSpec Program(byte direction) => new(
        direction == DatapathConstants.DirectionEgress ? FromEndpointName : ToEndpointName,
        ProgramType.SchedCls,
        Generate(direction),
        License);

    public static ProgramSpec FromEndpoint() => Program(DatapathConstants.DirectionEgress);

    public const string BackstopName = "mbr_backstop";

    /// <summary>
    /// The fail-closed backstop: a program that drops every packet, attached as a tc filter after the datapath's
    /// programs on each endpoint's host-side veth. It runs only when they no longer do: tcx runs before tc and a tcx
    /// verdict other than TCX_NEXT ends the packet's path there (net/core/dev.c sch_handle_ingress and
    /// sch_handle_egress), and in tc mode a direct-action filter that returns TC_ACT_OK or TC_ACT_SHOT ends
    /// classification (net/sched/cls_api.c tcf_classify). So while the datapath's program is attached it costs nothing,
    /// and should its tcx link go (its pin removed and the agent killed before it could pin it again), the endpoint's
    /// traffic is dropped instead of let through unfiltered. A tc filter holds its program without any descriptor or
    /// pin, so nothing in bpffs can take the backstop away.
    /// </summary>
    public static ProgramSpec Backstop() => new(
        BackstopName,
        ProgramType.SchedCls,
        [AluOperation.Mov.Imm(Register.R0, DatapathConstants.ActionDrop), Instruction.Exit()],
        License);

    public static ProgramSpec ToEndpoint() => Program(DatapathConstants.DirectionIngress);

    /// <summary>The instructions, with labels and comments, of the program enforcing <paramref name="direction"/>.</summary>
    public static InstructionCollection Generate(byte direction)
    {
        if (direction is not (DatapathConstants.DirectionIngress or DatapathConstants.DirectionEgress))
        {
            throw new ArgumentOutOfRangeException(nameof(direction), direction, "the direction is ingress (0) or egress (1)");
        }

        var emitter = new ProgramEmitter(direction);
        EndpointStage.Emit(emitter);
        ParseStage.Emit(emitter);
        AlwaysAllowedStage.Emit(emitter);
        SourceAddressStage.Emit(emitter);
        LaterFragmentStage.Emit(emitter);
        ConntrackStage.Emit(emitter);
        IdentityStage.Emit(emitter);
        PolicyStage.Emit(emitter);
        EmitVerdicts(emitter);
        RecordStage.Emit(emitter);
        AccountStage.Emit(emitter);
        return emitter.Code;
    }

    /// <summary>One short block per reason: set it, then go on to Record (verdicts from the LaterFragment stage on)
    /// or straight to Account (the earlier ones, which leave no fragment entry).</summary>
    private static void EmitVerdicts(ProgramEmitter emitter)
    {
        foreach (var reason in emitter.EarlyVerdicts.ToArray())
        {
            emitter.Label(emitter.Early(reason)).Comment(reason.Describe())
                .Store(StackFrame.Reason, (int)reason, Size.Byte)
                .Goto(ProgramEmitter.AccountLabel);
        }

        foreach (var reason in emitter.LateVerdicts.ToArray())
        {
            emitter.Label(emitter.Late(reason)).Comment(reason.Describe())
                .Store(StackFrame.Reason, (int)reason, Size.Byte)
                .Goto(ProgramEmitter.RecordLabel);
        }
    }
}
