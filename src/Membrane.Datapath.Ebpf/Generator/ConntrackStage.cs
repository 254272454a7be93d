using Membrane.Bpf.Asm;
using Membrane.Datapath.Layout;
using static Membrane.Bpf.Asm.Register;

namespace Membrane.Datapath.Ebpf.Generator;

/// <summary>
/// Step 5 of docs/datapath.md §2 and §4. TCP, UDP, SCTP and other protocols: forward, then reverse. Echo Request:
/// forward only, so that a new request is never a reply (GHSA-c66w-hq56-4q97); Echo Reply: reverse only. An ICMP
/// error: only the flow it carries, as the endpoint sent it or as a reply it sent, whoever sent the error
/// (cilium#26193). Other ICMP: not tracked. An entry past its expiry is absent. A forward or reverse hit is refreshed in
/// place (a reverse hit sets SeenReply, a TCP FIN or RST sets Closing); a related hit is not.
/// </summary>
internal static class ConntrackStage
{
    private const string Done = "conntrack_done";

    public static void Emit(ProgramEmitter e)
    {
        e.Comment("Conntrack").Load(R1, StackFrame.IcmpKind, Size.Byte)
            .If(JumpOperation.JEq, R1, (int)IcmpKind.Other, Done)
            .If(JumpOperation.JEq, R1, (int)IcmpKind.Error, "conntrack_related")
            .If(JumpOperation.JEq, R1, (int)IcmpKind.EchoReply, "conntrack_reverse");

        ConntrackKeys.Forward(e.Comment("forward {src, dst, sport, dport, E, proto, family, D}"));
        LookupLive(e, "conntrack_forward_miss");
        Refresh(e, "conntrack_forward", seenReply: false).Goto(e.Late(VerdictReason.Established));
        e.Label("conntrack_forward_miss")
            .Load(R1, StackFrame.IcmpKind, Size.Byte)
            .Comment("an Echo Request is never a reply").If(JumpOperation.JEq, R1, (int)IcmpKind.EchoRequest, Done);

        e.Label("conntrack_reverse");
        ConntrackKeys.Reverse(e.Comment("reverse {dst, src, dport, sport, E, proto, family, not D}"));
        LookupLive(e, Done);
        Refresh(e, "conntrack_reverse", seenReply: true).Goto(e.Late(VerdictReason.Reply));

        e.Label("conntrack_related").Load(R1, StackFrame.InnerValid, Size.Byte)
            .Comment("an embedded header that did not read relates to nothing").If(JumpOperation.JEq, R1, 0, Done);
        ConntrackKeys.EmbeddedAsSent(e.Comment("the embedded flow as E sent it {inner src, inner dst, ..., not D}"));
        LookupLive(e, "conntrack_related_reply");
        e.Goto(e.Late(VerdictReason.Related));
        e.Label("conntrack_related_reply");
        ConntrackKeys.EmbeddedAsReply(e.Comment("as a reply E sent {inner dst, inner src, ..., D}"));
        LookupLive(e, Done);
        e.Goto(e.Late(VerdictReason.Related));
        e.Label(Done);
    }

    /// <summary>Looks the key scratch up in mbr_ct; leaves the live entry in R0 or goes to <paramref name="miss"/>.</summary>
    private static void LookupLive(ProgramEmitter e, string miss) =>
        e.Lookup(DatapathMapNames.Conntrack, StackFrame.Key)
            .If(JumpOperation.JEq, R0, 0, miss)
            .Add(Instruction.LoadMem(R1, R0, 0, Size.DWord))
            .Load(R2, StackFrame.Now, Size.DWord)
            .Comment("expired counts as absent").IfReg(JumpOperation.JLE, R1, R2, miss);

    /// <summary>Refreshes the entry in R0: flags, lifetime and expiry, written in place.</summary>
    private static ProgramEmitter Refresh(ProgramEmitter e, string prefix, bool seenReply)
    {
        e.Add(Instruction.LoadMem(R1, R0, 12, Size.Byte));
        if (seenReply)
        {
            e.Alu(AluOperation.Or, R1, ConntrackEntry.FlagSeenReply);
        }

        Lifetimes.Emit(e, prefix);
        return Lifetimes.ToExpiry(e)
            .Add(Instruction.StoreMem(R0, 0, R2, Size.DWord))
            .Add(Instruction.StoreMem(R0, 8, R3, Size.Word))
            .Add(Instruction.StoreMem(R0, 12, R1, Size.Byte));
    }
}
