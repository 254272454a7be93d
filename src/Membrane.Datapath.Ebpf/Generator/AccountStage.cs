using Membrane.Bpf.Asm;
using Membrane.Bpf.Programs;
using Membrane.Datapath.Layout;
using Membrane.Policy.Values;
using static Membrane.Bpf.Asm.Register;
using static Membrane.Datapath.DatapathConstants;

namespace Membrane.Datapath.Ebpf.Generator;

/// <summary>
/// Step 9 of docs/datapath.md §2 and §7: the per-CPU counter of (reason, direction, protocol class); the event of a
/// drop, or of a passed new flow when <see cref="DatapathConfig.FlagEmitAllowEvents"/> is set, through the per-CPU
/// token bucket to the ring buffer (suppressed and lost events are counted); the reason in <c>skb-&gt;cb[0]</c>, the
/// peer identity in <c>skb-&gt;cb[1]</c>; and TC_ACT_OK or TC_ACT_SHOT.
/// </summary>
internal static class AccountStage
{
    private const string Verdict = "account_verdict";

    public static void Emit(ProgramEmitter e)
    {
        EmitCounter(e);
        EmitEvent(e);
        e.Label(Verdict).Comment("cb[0] = reason, cb[1] = peer identity, for tc and BPF_PROG_TEST_RUN")
            .Load(R1, StackFrame.Reason, Size.Byte)
            .Add(Instruction.StoreMem(R6, SkBuff.CbOffset, R1, Size.Word))
            .Load(R2, StackFrame.PeerIdentity, Size.Word)
            .Add(Instruction.StoreMem(R6, SkBuff.CbOffset + 4, R2, Size.Word))
            .Mov(R0, ActionPass)
            .If(JumpOperation.JLT, R1, (int)VerdictReason.FirstDrop, "account_exit")
            .Mov(R0, ActionDrop)
            .Label("account_exit")
            .Add(Instruction.Exit());
    }

    private static void EmitCounter(ProgramEmitter e)
    {
        e.Label(ProgramEmitter.AccountLabel).Comment("Account: the protocol class (family 0: not IP)")
            .Mov(R2, (int)ProtocolClass.NotIp)
            .Load(R1, StackFrame.Family, Size.Byte)
            .If(JumpOperation.JEq, R1, 0, "account_class")
            .Load(R1, StackFrame.Protocol, Size.Byte);
        foreach (var (protocol, protocolClass) in new[]
                 {
                     (IpProtocols.Tcp, ProtocolClass.Tcp), (IpProtocols.Udp, ProtocolClass.Udp), (IpProtocols.Sctp, ProtocolClass.Sctp),
                     (IpProtocols.Icmp, ProtocolClass.Icmp), (IpProtocols.IcmpV6, ProtocolClass.IcmpV6),
                 })
        {
            e.Mov(R2, (int)protocolClass).If(JumpOperation.JEq, R1, protocol, "account_class");
        }

        e.Mov(R2, (int)ProtocolClass.Other)
            .Label("account_class")
            .Comment("slot ((reason * 2 + direction) * 8 + class)")
            .Load(R1, StackFrame.Reason, Size.Byte)
            .Alu(AluOperation.Lsh, R1, 1).Alu(AluOperation.Add, R1, e.Direction)
            .Alu(AluOperation.Lsh, R1, 3).Alu(AluOperation.Add, R1, R2)
            .Store(StackFrame.SmallKey, R1, Size.Word);
        Increment(e, "account_counted").Label("account_counted");
    }

    /// <summary>mbr_counters[SmallKey] += 1 on this CPU; goes to <paramref name="next"/>.</summary>
    private static ProgramEmitter Increment(ProgramEmitter e, string next) =>
        e.Lookup(DatapathMapNames.Counters, StackFrame.SmallKey)
            .If(JumpOperation.JEq, R0, 0, next)
            .Add(Instruction.LoadMem(R1, R0, 0, Size.DWord)).Alu(AluOperation.Add, R1, 1)
            .Add(Instruction.StoreMem(R0, 0, R1, Size.DWord));

    private static void EmitEvent(ProgramEmitter e)
    {
        e.Comment("events: every drop; a passed new flow when the configuration asks")
            .Load(R1, StackFrame.Reason, Size.Byte)
            .If(JumpOperation.JGE, R1, (int)VerdictReason.FirstDrop, "account_drop_event")
            .If(JumpOperation.JEq, R1, (int)VerdictReason.PolicyAllowed, "account_allow_event")
            .If(JumpOperation.JNE, R1, (int)VerdictReason.DefaultAllowed, Verdict)
            .Label("account_allow_event")
            .Load(R1, StackFrame.ConfigFlags, Size.Word)
            .If(JumpOperation.JSet, R1, (int)DatapathConfig.FlagEmitAllowEvents, "account_allow_kind")
            .Goto(Verdict)
            .Label("account_allow_kind").Store(StackFrame.EventKind, (int)EventKind.PolicyVerdict, Size.Byte).Goto("account_bucket")
            .Label("account_drop_event").Store(StackFrame.EventKind, (int)EventKind.Drop, Size.Byte);

        e.Label("account_bucket").Comment("the token bucket (one per CPU, so no atomics)")
            .Store(StackFrame.SmallKey, 0, Size.Word)
            .Lookup(DatapathMapNames.Bucket, StackFrame.SmallKey)
            .If(JumpOperation.JEq, R0, 0, Verdict)
            .Mov(R7, R0)
            .Load(R1, StackFrame.Now, Size.DWord)
            .Add(Instruction.LoadMem(R2, R7, 8, Size.DWord))
            .Comment("r3 = elapsed").Mov(R3, R1).Alu(AluOperation.Sub, R3, R2)
            .If(JumpOperation.JLT, R3, (int)NanosecondsPerSecond, "account_partial")
            .Comment("a second or more: full").Load(R4, StackFrame.EventBurst, Size.Word)
            .Add(Instruction.StoreMem(R7, 0, R4, Size.DWord))
            .Add(Instruction.StoreMem(R7, 8, R1, Size.DWord))
            .Goto("account_take")
            .Label("account_partial")
            .Comment("add = elapsed * rate / 1e9").Load(R4, StackFrame.EventRate, Size.Word)
            .Alu(AluOperation.Mul, R3, R4).Alu(AluOperation.Div, R3, (int)NanosecondsPerSecond)
            .If(JumpOperation.JEq, R3, 0, "account_take")
            .Add(Instruction.LoadMem(R5, R7, 0, Size.DWord)).Alu(AluOperation.Add, R5, R3)
            .Load(R1, StackFrame.EventBurst, Size.Word)
            .IfReg(JumpOperation.JLE, R5, R1, "account_refilled")
            .Mov(R5, R1)
            .Label("account_refilled")
            .Add(Instruction.StoreMem(R7, 0, R5, Size.DWord))
            .Comment("last += add * 1e9 / rate: the time those tokens took, so no fraction is lost")
            .Alu(AluOperation.Mul, R3, (int)NanosecondsPerSecond).Alu(AluOperation.Div, R3, R4)
            .Alu(AluOperation.Add, R2, R3)
            .Add(Instruction.StoreMem(R7, 8, R2, Size.DWord))
            .Label("account_take")
            .Add(Instruction.LoadMem(R5, R7, 0, Size.DWord))
            .If(JumpOperation.JEq, R5, 0, "account_suppressed")
            .Alu(AluOperation.Sub, R5, 1)
            .Add(Instruction.StoreMem(R7, 0, R5, Size.DWord))
            .Add(Instruction.LoadMapPtr(R1, DatapathMapNames.Events))
            .Mov(R2, R10).Alu(AluOperation.Add, R2, StackFrame.Event)
            .Mov(R3, System.Runtime.CompilerServices.Unsafe.SizeOf<EventRecord>())
            .Mov(R4, 0)
            .Add(Instruction.Call(HelperFunction.RingbufOutput))
            .If(JumpOperation.JEq, R0, 0, Verdict)
            .Comment("no room in the ring buffer: lost").Store(StackFrame.SmallKey, CounterEventsLost, Size.Word);
        Increment(e, Verdict).Goto(Verdict);
        e.Label("account_suppressed").Comment("no token: suppressed").Store(StackFrame.SmallKey, CounterEventsSuppressed, Size.Word);
        Increment(e, Verdict).Goto(Verdict);
    }
}
