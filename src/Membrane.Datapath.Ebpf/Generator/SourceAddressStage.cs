using Membrane.Bpf.Asm;
using static Membrane.Bpf.Asm.Register;
using static Membrane.Datapath.DatapathConstants;

namespace Membrane.Datapath.Ebpf.Generator;

/// <summary>
/// Step 3a of docs/datapath.md §2, in the egress program only: a packet leaving the endpoint must carry the
/// endpoint's own address of its family as its source, or it is dropped (<see cref="VerdictReason.InvalidSource"/>,
/// Cilium's DROP_INVALID_SIP). Without it an endpoint could send as another, from a raw socket or from an address it
/// added to its own interface, and its peers' ingress would read the other's identity from the ipcache. An address of
/// all zeros in the configuration means the endpoint has none of that family: every such packet drops, so a source of
/// 0.0.0.0 or :: never matches an unset address. Neighbour discovery and MLD, which use link-local and unspecified
/// sources (RFC 4861 §7.2.2), passed at step 3; ARP is not IP. Runs before LaterFragment, so a forged later fragment
/// never reaches the fragment map, and its verdict is early (no fragment entry).
/// </summary>
internal static class SourceAddressStage
{
    private const string Done = "source_address_done";

    public static void Emit(ProgramEmitter e)
    {
        if (!e.IsEgress)
        {
            return;
        }

        var invalid = e.Early(VerdictReason.InvalidSource);
        e.Comment("SourceAddress: the source is the endpoint's own address of its family")
            .Load(R1, StackFrame.Family, Size.Byte).If(JumpOperation.JEq, R1, FamilyIPv6, "source_address_ipv6")
            .Load(R2, StackFrame.EndpointIPv4, Size.Word)
            .Comment("no IPv4 address: no IPv4 source is the endpoint's").If(JumpOperation.JEq, R2, 0, invalid)
            .Load(R1, StackFrame.Source, Size.Word)
            .IfReg(JumpOperation.JNE, R1, R2, invalid)
            .Goto(Done)
            .Label("source_address_ipv6")
            .Load(R2, StackFrame.EndpointIPv6, Size.DWord)
            .Load(R3, (short)(StackFrame.EndpointIPv6 + 8), Size.DWord)
            .Mov(R4, R2).Alu(AluOperation.Or, R4, R3)
            .Comment("no IPv6 address: no IPv6 source is the endpoint's").If(JumpOperation.JEq, R4, 0, invalid)
            .Load(R1, StackFrame.Source, Size.DWord)
            .IfReg(JumpOperation.JNE, R1, R2, invalid)
            .Load(R1, (short)(StackFrame.Source + 8), Size.DWord)
            .IfReg(JumpOperation.JNE, R1, R3, invalid)
            .Label(Done);
    }
}
