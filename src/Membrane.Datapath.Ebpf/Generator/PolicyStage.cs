using Membrane.Bpf.Asm;
using Membrane.Datapath.Layout;
using Membrane.Policy.Values;
using static Membrane.Bpf.Asm.Register;
using static Membrane.Datapath.DatapathConstants;

namespace Membrane.Datapath.Ebpf.Generator;

/// <summary>
/// Step 7 of docs/datapath.md §2: two longest-prefix lookups of <see cref="PolicyMapKey"/> {96, live policy id, peer
/// identity then 0, direction, protocol, value}, the value being the destination port for TCP, UDP and SCTP, ICMP
/// <c>type &lt;&lt; 8 | code</c> for ICMP in IPv4 and ICMPv6 in IPv6, else 0, big-endian. A deny from either wins
/// (the peer's first), then an allow (the peer's first), then the endpoint's default for the direction. The entry
/// that decided goes into the event.
/// </summary>
internal static class PolicyStage
{
    public static void Emit(ProgramEmitter e)
    {
        e.Comment("Policy: the L4 value").Mov(R3, 0)
            .Load(R1, StackFrame.Protocol, Size.Byte)
            .Load(R2, StackFrame.Family, Size.Byte)
            .If(JumpOperation.JEq, R1, IpProtocols.Tcp, "policy_port")
            .If(JumpOperation.JEq, R1, IpProtocols.Udp, "policy_port")
            .If(JumpOperation.JEq, R1, IpProtocols.Sctp, "policy_port")
            .If(JumpOperation.JEq, R2, FamilyIPv6, "policy_icmp6")
            .If(JumpOperation.JEq, R1, IpProtocols.Icmp, "policy_icmp")
            .Goto("policy_key")
            .Label("policy_icmp6").If(JumpOperation.JNE, R1, IpProtocols.IcmpV6, "policy_key")
            .Label("policy_icmp")
            .Load(R3, StackFrame.IcmpType, Size.Byte).Alu(AluOperation.Lsh, R3, 8)
            .Load(R1, StackFrame.IcmpCode, Size.Byte).Alu(AluOperation.Or, R3, R1)
            .Goto("policy_key")
            .Label("policy_port").Load(R3, StackFrame.DestinationPort, Size.Half)
            .Label("policy_key")
            .Comment("big-endian, so that the value's high bits are its prefix").Add(Instruction.ToBigEndian(R3, 16))
            .Store(StackFrame.Key + 14, R3, Size.Half)
            .Store(StackFrame.Key, PolicyKeyBits, Size.Word)
            .CopyStack(StackFrame.Key + 4, StackFrame.PolicyId, 4)
            .CopyStack(StackFrame.Key + 8, StackFrame.PeerIdentity, 4)
            .Store(StackFrame.Key + 12, e.Direction, Size.Byte)
            .CopyStack(StackFrame.Key + 13, StackFrame.Protocol, 1);

        e.Comment("the peer's entry, kept in r7").Lookup(DatapathMapNames.Policy, StackFrame.Key).Mov(R7, R0)
            .If(JumpOperation.JEq, R7, 0, "policy_any")
            .Add(Instruction.LoadMem(R1, R7, 4, Size.Byte))
            .If(JumpOperation.JSet, R1, PolicyMapValue.FlagDeny, "policy_deny_peer")
            .Label("policy_any")
            .Comment("the any-identity entry, kept in r8").Store(StackFrame.Key + 8, 0, Size.Word)
            .Lookup(DatapathMapNames.Policy, StackFrame.Key).Mov(R8, R0)
            .If(JumpOperation.JEq, R8, 0, "policy_allow")
            .Add(Instruction.LoadMem(R1, R8, 4, Size.Byte))
            .If(JumpOperation.JSet, R1, PolicyMapValue.FlagDeny, "policy_deny_any")
            .Label("policy_allow")
            .If(JumpOperation.JNE, R7, 0, "policy_allow_peer")
            .If(JumpOperation.JNE, R8, 0, "policy_allow_any");

        var defaultDeny = e.IsEgress ? EndpointConfig.FlagEgressDefaultDeny : EndpointConfig.FlagIngressDefaultDeny;
        e.Comment("no entry: the direction's default").Store(StackFrame.DecidedBy, (int)Datapath.DecidedBy.Default, Size.Byte)
            .Load(R1, StackFrame.EndpointFlags, Size.Word)
            .If(JumpOperation.JSet, R1, (int)defaultDeny, e.Late(VerdictReason.DefaultDenied))
            .Goto(e.Late(VerdictReason.DefaultAllowed));

        Decide(e, "policy_deny_peer", R7, Datapath.DecidedBy.PeerEntry, VerdictReason.PolicyDenied);
        Decide(e, "policy_deny_any", R8, Datapath.DecidedBy.AnyIdentityEntry, VerdictReason.PolicyDenied);
        Decide(e, "policy_allow_peer", R7, Datapath.DecidedBy.PeerEntry, VerdictReason.PolicyAllowed);
        Decide(e, "policy_allow_any", R8, Datapath.DecidedBy.AnyIdentityEntry, VerdictReason.PolicyAllowed);
        e.Label("policy_entry").Comment("the entry that decided, for the event")
            .Copy(StackFrame.PolicyCookie, R2, 0, 4)
            .Copy(StackFrame.PolicyFlags, R2, 4, 1)
            .Copy(StackFrame.PolicyPrefixLength, R2, 5, 1)
            .Goto(ProgramEmitter.RecordLabel);
    }

    private static void Decide(ProgramEmitter e, string label, Register entry, DecidedBy decidedBy, VerdictReason reason)
    {
        // Copy reads through R1, so the entry moves to R2 first.
        e.Label(label)
            .Store(StackFrame.DecidedBy, (int)decidedBy, Size.Byte)
            .Store(StackFrame.Reason, (int)reason, Size.Byte)
            .Mov(R2, entry)
            .Goto("policy_entry");
    }
}
