using Membrane.Bpf.Asm;
using Membrane.Bpf.Programs;
using Membrane.Datapath.Layout;
using static Membrane.Bpf.Asm.Register;

namespace Membrane.Datapath.Ebpf.Generator;

/// <summary>
/// Step 1 of docs/datapath.md §2, with the prologue before it: the context goes to R6 for the whole program, the
/// frame is zeroed, the clock is read once, and the endpoint behind <c>skb-&gt;ifindex</c> is looked up. An
/// interface without an entry drops everything (fail closed). The node configuration is read first, so that the event
/// of that drop goes through the configured token bucket too; the always-allowed ICMPv6 set is masked with the RFC
/// 4890 set at once, so the configuration can narrow it, never widen it.
/// </summary>
internal static class EndpointStage
{
    public static void Emit(ProgramEmitter e)
    {
        e.Comment("Endpoint: r6 = skb for the whole program").Mov(R6, R1);
        e.Comment("zero the frame: every key and the event start fully initialised").Mov(R0, 0);
        for (var offset = -StackFrame.Size; offset < 0; offset += 8)
        {
            e.Store((short)offset, R0, Size.DWord);
        }

        e.Store(StackFrame.Direction, e.Direction, Size.Byte);
        e.Add(Instruction.LoadMem(R1, R6, SkBuff.LenOffset, Size.Word)).Store(StackFrame.PacketLength, R1, Size.Word);
        e.Add(Instruction.LoadMem(R1, R6, SkBuff.IfindexOffset, Size.Word))
            .Store(StackFrame.Ifindex, R1, Size.Word);
        e.Comment("one clock reading for every expiry of this packet").Add(Instruction.Call(HelperFunction.KtimeGetNs))
            .Store(StackFrame.Now, R0, Size.DWord)
            .Store(StackFrame.Timestamp, R0, Size.DWord);

        e.Comment("mbr_config[0] (the key is still zero), first: an unknown endpoint's drop is an event too")
            .Lookup(DatapathMapNames.Config, StackFrame.SmallKey)
            .If(JumpOperation.JEq, R0, 0, "config_done");
        e.Copy(StackFrame.ConfigFlags, R0, 0, 4)
            .Add(Instruction.LoadMem(R1, R0, 4, Size.Word))
            .Comment("the configuration narrows the RFC 4890 set, never widens it")
            .Add(AluOperation.And.Imm32(R1, (int)DatapathConstants.AlwaysAllowedIcmpV6Types))
            .Store(StackFrame.AllowedIcmpV6Types, R1, Size.Word)
            .Copy(StackFrame.EventRate, R0, 8, 4)
            .Copy(StackFrame.EventBurst, R0, 12, 4);
        e.Label("config_done");
        e.Add(Instruction.LoadMem(R1, R6, SkBuff.IfindexOffset, Size.Word)).Store(StackFrame.SmallKey, R1, Size.Word);
        e.Comment("mbr_endpoints[skb->ifindex]").Lookup(DatapathMapNames.Endpoints, StackFrame.SmallKey)
            .If(JumpOperation.JEq, R0, 0, e.Early(VerdictReason.UnknownEndpoint));
        e.Copy(StackFrame.EndpointId, R0, Offset(nameof(EndpointConfig.EndpointId)), 4)
            .Copy(StackFrame.EndpointIdentity, R0, Offset(nameof(EndpointConfig.Identity)), 4)
            .Copy(StackFrame.PolicyId, R0, Offset(nameof(EndpointConfig.PolicyId)), 4)
            .Copy(StackFrame.EndpointFlags, R0, Offset(nameof(EndpointConfig.Flags)), 4);
        if (e.IsEgress)
        {
            e.Comment("the endpoint's own addresses, the only sources its packets may carry (SourceAddress)")
                .Copy(StackFrame.EndpointIPv6, R0, Offset(nameof(EndpointConfig.IPv6)), 16)
                .Copy(StackFrame.EndpointIPv4, R0, Offset(nameof(EndpointConfig.IPv4)), 4);
        }
    }

    private static short Offset(string field) => (short)System.Runtime.InteropServices.Marshal.OffsetOf<EndpointConfig>(field);
}
