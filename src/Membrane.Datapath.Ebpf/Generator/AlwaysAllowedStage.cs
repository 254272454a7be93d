using Membrane.Bpf.Asm;
using Membrane.Policy.Values;
using static Membrane.Bpf.Asm.Register;
using static Membrane.Datapath.DatapathConstants;

namespace Membrane.Datapath.Ebpf.Generator;

/// <summary>
/// Step 3 of docs/datapath.md §2 and §6: ICMPv6 of the RFC 4890 §4.4.1 set passes before identity and policy, when
/// its hop limit is the one its RFC requires (255 for neighbour discovery, RFC 4861 §7.1.1; 1 for MLD and multicast
/// router discovery). The set is the configuration's, already masked with <see cref="AlwaysAllowedIcmpV6Types"/>. Leaving
/// the endpoint, it passes only from a link-local, unspecified or own source.
/// </summary>
internal static class AlwaysAllowedStage
{
    private const string Done = "always_allowed_done";

    public static void Emit(ProgramEmitter e)
    {
        var neighbourDiscovery = e.Early(VerdictReason.NeighbourDiscovery);
        e.Comment("AlwaysAllowed: ICMPv6 128..159 in the set, with its hop limit")
            .Load(R1, StackFrame.Family, Size.Byte).If(JumpOperation.JNE, R1, FamilyIPv6, Done)
            .Load(R1, StackFrame.Protocol, Size.Byte).If(JumpOperation.JNE, R1, IpProtocols.IcmpV6, Done)
            .Comment("a fragment header, even an atomic one, is never ND (RFC 6980 §5: such NDP is ignored)")
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
            .IfReg(JumpOperation.JNE, R2, R3, Done);
        if (e.IsEgress)
        {
            // Leaving the endpoint, ND passes only on its link: to a destination no router forwards (fe80::/10, or
            // ff02::/16, RFC 4291 §2.7), from a source it may use there: fe80::/10, :: (duplicate address detection,
            // RFC 4861 §7.2.2) or its own address. Anything else goes on to the source check and egress policy: an NS
            // to a peer's global address would be forwarded past the endpoint's egress policy, and from a forged
            // source judged at the peer as that source.
            e.Comment("egress: the destination is link-local unicast (fe80::/10) or link-local multicast (ff02::/16)")
                .Load(R1, StackFrame.Destination, Size.Byte).Load(R2, (short)(StackFrame.Destination + 1), Size.Byte)
                .If(JumpOperation.JNE, R1, 0xff, "always_allowed_not_multicast")
                .If(JumpOperation.JNE, R2, 0x02, Done)
                .Goto("always_allowed_source")
                .Label("always_allowed_not_multicast")
                .If(JumpOperation.JNE, R1, 0xfe, Done)
                .Alu(AluOperation.And, R2, 0xc0).If(JumpOperation.JNE, R2, 0x80, Done)
                .Label("always_allowed_source")
                .Comment("egress: the source is link-local (fe80::/10), unspecified (::), or the endpoint's own")
                .Load(R1, StackFrame.Source, Size.Byte).If(JumpOperation.JNE, R1, 0xfe, "always_allowed_not_link_local")
                .Load(R1, (short)(StackFrame.Source + 1), Size.Byte).Alu(AluOperation.And, R1, 0xc0)
                .If(JumpOperation.JEq, R1, 0x80, neighbourDiscovery)
                .Label("always_allowed_not_link_local")
                .Load(R1, StackFrame.Source, Size.DWord).Load(R2, (short)(StackFrame.Source + 8), Size.DWord)
                .Mov(R3, R1).Alu(AluOperation.Or, R3, R2).If(JumpOperation.JEq, R3, 0, neighbourDiscovery)
                .Load(R3, StackFrame.EndpointIPv6, Size.DWord).Load(R4, (short)(StackFrame.EndpointIPv6 + 8), Size.DWord)
                .Mov(R5, R3).Alu(AluOperation.Or, R5, R4).If(JumpOperation.JEq, R5, 0, Done)
                .IfReg(JumpOperation.JNE, R1, R3, Done).IfReg(JumpOperation.JNE, R2, R4, Done);
        }

        e.Goto(neighbourDiscovery).Label(Done);
    }
}
