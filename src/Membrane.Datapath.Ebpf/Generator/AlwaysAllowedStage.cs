using Membrane.Bpf.Asm;
using Membrane.Policy.Values;
using static Membrane.Bpf.Asm.Register;
using static Membrane.Datapath.DatapathConstants;

namespace Membrane.Datapath.Ebpf.Generator;

/// <summary>
/// Step 3 of docs/datapath.md §2 and §6: ICMPv6 of the RFC 4890 §4.4.1 set passes before identity and policy, when
/// its hop limit is the one its RFC requires (255 for neighbour discovery, RFC 4861 §7.1.1; 1 for MLD and multicast
/// router discovery). The set is the configuration's, already masked with <see cref="AlwaysAllowedIcmpV6Types"/>.
/// </summary>
internal static class AlwaysAllowedStage
{
    private const string Done = "always_allowed_done";

    public static void Emit(ProgramEmitter e) =>
        e.Comment("AlwaysAllowed: ICMPv6 128..159 in the set, with its hop limit")
            .Load(R1, StackFrame.Family, Size.Byte).If(JumpOperation.JNE, R1, FamilyIPv6, Done)
            .Load(R1, StackFrame.Protocol, Size.Byte).If(JumpOperation.JNE, R1, IpProtocols.IcmpV6, Done)
            .Comment("a fragment is never ND (RFC 6980 §5: fragmented NDP is ignored)")
            .Load(R1, StackFrame.FragmentKind, Size.Byte).If(JumpOperation.JNE, R1, (int)FragmentKind.None, Done)
            .Load(R1, StackFrame.IcmpType, Size.Byte).Alu(AluOperation.Sub, R1, AlwaysAllowedIcmpV6Base)
            .Comment("r1 = type - 128, unsigned: outside 0..31 is outside the set").If(JumpOperation.JGT, R1, 31, Done)
            .Load(R2, StackFrame.AllowedIcmpV6Types, Size.Word)
            .Alu(AluOperation.Rsh, R2, R1).Alu(AluOperation.And, R2, 1)
            .If(JumpOperation.JEq, R2, 0, Done)
            .Mov(R2, (int)HopLimit255Types).Alu(AluOperation.Rsh, R2, R1).Alu(AluOperation.And, R2, 1)
            .Mov(R3, 1)
            .If(JumpOperation.JEq, R2, 0, "always_allowed_hop_limit")
            .Mov(R3, 255)
            .Label("always_allowed_hop_limit")
            .Load(R2, StackFrame.HopLimit, Size.Byte)
            .IfReg(JumpOperation.JEq, R2, R3, e.Early(VerdictReason.NeighbourDiscovery))
            .Label(Done);
}
