using Membrane.Bpf.Asm;
using static Membrane.Bpf.Asm.Register;

namespace Membrane.Datapath.Ebpf.Generator;

/// <summary>
/// Step 4 of docs/datapath.md §2 and §5: a later fragment takes the verdict its first fragment left in
/// <c>mbr_fragments</c>, with its ports or ICMP type and code for the event; with none, or an expired one, it is
/// dropped. The entry is not refreshed: the datagram has 30 seconds from its first fragment, as in Linux's reassembly.
/// </summary>
internal static class LaterFragmentStage
{
    private const string Done = "later_fragment_done";

    public static void Emit(ProgramEmitter e)
    {
        var without = e.Early(VerdictReason.FragmentWithoutFirst);
        e.Comment("LaterFragment").Load(R1, StackFrame.FragmentKind, Size.Byte)
            .If(JumpOperation.JNE, R1, (int)FragmentKind.Later, Done);
        FragmentKeys.Build(e)
            .Lookup(DatapathMapNames.Fragments, StackFrame.Key)
            .If(JumpOperation.JEq, R0, 0, without)
            .Add(Instruction.LoadMem(R1, R0, 0, Size.DWord))
            .Load(R2, StackFrame.Now, Size.DWord)
            .Comment("expired counts as absent").IfReg(JumpOperation.JLE, R1, R2, without)
            .Copy(StackFrame.SourcePort, R0, 8, 2)
            .Copy(StackFrame.DestinationPort, R0, 10, 2)
            .Copy(StackFrame.IcmpType, R0, 12, 1)
            .Copy(StackFrame.IcmpCode, R0, 13, 1)
            .Add(Instruction.LoadMem(R1, R0, 14, Size.Byte))
            .If(JumpOperation.JGE, R1, (int)VerdictReason.FirstDrop, e.Early(VerdictReason.FragmentOfDenied))
            .Goto(e.Early(VerdictReason.FragmentAllowed))
            .Label(Done);
    }
}
