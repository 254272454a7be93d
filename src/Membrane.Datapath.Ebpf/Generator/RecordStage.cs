using Membrane.Bpf.Asm;
using static Membrane.Bpf.Asm.Register;
using static Membrane.Datapath.DatapathConstants;

namespace Membrane.Datapath.Ebpf.Generator;

/// <summary>
/// Step 8 of docs/datapath.md §2. A new flow passed by policy or by default enters conntrack under its forward key
/// (TCP, UDP, SCTP, other protocols, and Echo Request; flags 0, or Closing for a TCP FIN or RST; BPF_ANY, so an
/// expired entry is overwritten). A first fragment leaves its ports, ICMP type and code and its reason in
/// <c>mbr_fragments</c> for 30 seconds, whatever the verdict: only verdicts from the LaterFragment stage on come here.
/// </summary>
internal static class RecordStage
{
    private const string Fragment = "record_fragment";

    public static void Emit(ProgramEmitter e)
    {
        e.Label(ProgramEmitter.RecordLabel).Comment("Record: a new flow that passed enters conntrack")
            .Load(R1, StackFrame.Reason, Size.Byte)
            .If(JumpOperation.JEq, R1, (int)VerdictReason.PolicyAllowed, "record_flow")
            .If(JumpOperation.JNE, R1, (int)VerdictReason.DefaultAllowed, Fragment)
            .Label("record_flow")
            .Load(R1, StackFrame.IcmpKind, Size.Byte)
            .If(JumpOperation.JGT, R1, (int)IcmpKind.EchoRequest, Fragment);
        ConntrackKeys.Forward(e).Mov(R1, 0);
        Lifetimes.Emit(e, "record_lifetime");
        Lifetimes.ToExpiry(e)
            .Store(StackFrame.Value, R2, Size.DWord)
            .Store(StackFrame.Value + 8, R3, Size.Word)
            .Comment("flags, and zero reserved bytes").Store(StackFrame.Value + 12, R1, Size.Word)
            .Update(DatapathMapNames.Conntrack, StackFrame.Key, StackFrame.Value);

        e.Label(Fragment).Comment("a first fragment leaves its verdict for the later ones")
            .Load(R1, StackFrame.FragmentKind, Size.Byte)
            .If(JumpOperation.JNE, R1, (int)FragmentKind.First, ProgramEmitter.AccountLabel);
        FragmentKeys.Build(e)
            .Mov(R2, (int)LifetimeFragment).Alu(AluOperation.Mul, R2, (int)NanosecondsPerSecond)
            .Load(R1, StackFrame.Now, Size.DWord).Alu(AluOperation.Add, R2, R1)
            .Store(StackFrame.Value, R2, Size.DWord)
            .CopyStack(StackFrame.Value + 8, StackFrame.SourcePort, 2)
            .CopyStack(StackFrame.Value + 10, StackFrame.DestinationPort, 2)
            .Store(StackFrame.Value + 12, 0, Size.Word)
            .CopyStack(StackFrame.Value + 12, StackFrame.IcmpType, 1)
            .CopyStack(StackFrame.Value + 13, StackFrame.IcmpCode, 1)
            .CopyStack(StackFrame.Value + 14, StackFrame.Reason, 1)
            .Update(DatapathMapNames.Fragments, StackFrame.Key, StackFrame.Value)
            .Goto(ProgramEmitter.AccountLabel);
    }
}
