using Membrane.Bpf.Asm;
using Membrane.Policy.Values;
using static Membrane.Bpf.Asm.Register;
using static Membrane.Datapath.DatapathConstants;

namespace Membrane.Datapath.Ebpf.Generator;

/// <summary>
/// The conntrack lifetime rule of docs/datapath.md §4, shared by the refresh and the entry: TCP is closing once FIN
/// or RST is seen (10 s), long-lived once a reply is seen (21,600 s), else opening (60 s); ICMP echo 30 s; others 60 s.
/// </summary>
internal static class Lifetimes
{
    /// <summary>With the entry's flags in R1: sets Closing in R1 for a TCP FIN or RST, and writes the lifetime in
    /// seconds to R2. Uses R3.</summary>
    public static ProgramEmitter Emit(ProgramEmitter e, string prefix) =>
        e.Load(R3, StackFrame.Protocol, Size.Byte)
            .If(JumpOperation.JNE, R3, IpProtocols.Tcp, $"{prefix}_not_tcp")
            .Load(R3, StackFrame.TcpFlags, Size.Byte)
            .If(JumpOperation.JSet, R3, TcpFlagFin | TcpFlagRst, $"{prefix}_closing")
            .Goto($"{prefix}_tcp")
            .Label($"{prefix}_closing").Alu(AluOperation.Or, R1, Layout.ConntrackEntry.FlagClosing)
            .Label($"{prefix}_tcp")
            .Mov(R2, (int)LifetimeTcpClosing).If(JumpOperation.JSet, R1, Layout.ConntrackEntry.FlagClosing, $"{prefix}_done")
            .Mov(R2, (int)LifetimeTcpEstablished).If(JumpOperation.JSet, R1, Layout.ConntrackEntry.FlagSeenReply, $"{prefix}_done")
            .Mov(R2, (int)LifetimeTcpOpening).Goto($"{prefix}_done")
            .Label($"{prefix}_not_tcp")
            .Mov(R2, (int)LifetimeDatagram)
            .Load(R3, StackFrame.IcmpKind, Size.Byte)
            .If(JumpOperation.JEq, R3, (int)IcmpKind.None, $"{prefix}_done")
            .Mov(R2, (int)LifetimeIcmpEcho)
            .Label($"{prefix}_done");

    /// <summary><c>R2 = now + R2 * 1e9</c>: an expiry from a lifetime in seconds; the seconds stay in R3.</summary>
    public static ProgramEmitter ToExpiry(ProgramEmitter e) =>
        e.Mov(R3, R2)
            .Alu(AluOperation.Mul, R2, (int)NanosecondsPerSecond)
            .Load(R4, StackFrame.Now, Size.DWord)
            .Alu(AluOperation.Add, R2, R4);
}
