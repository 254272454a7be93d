using Membrane.Bpf.Asm;
using Membrane.Datapath.Layout;
using static Membrane.Bpf.Asm.Register;
using static Membrane.Datapath.DatapathConstants;

namespace Membrane.Datapath.Ebpf.Generator;

/// <summary>
/// Step 6 of docs/datapath.md §2: the peer's identity from the ipcache LPM trie (<see cref="IpcacheKey"/> with
/// every bit of family and address), the destination for egress and the source for ingress; without an entry the peer
/// is world-ipv4 (9) or world-ipv6 (10), as in the engine.
/// </summary>
internal static class IdentityStage
{
    public const int WorldIPv4 = 9;
    public const int WorldIPv6 = 10;

    public static void Emit(ProgramEmitter e) =>
        e.Comment($"Identity: ipcache {{{IpcacheKeyBits}, family, {(e.IsEgress ? "destination" : "source")}}}")
            .Store(StackFrame.Key, IpcacheKeyBits, Size.Word)
            .Store(StackFrame.Key + 4, 0, Size.Word)
            .CopyStack(StackFrame.Key + 4, StackFrame.Family, 1)
            .CopyStack(StackFrame.Key + 8, e.IsEgress ? StackFrame.Destination : StackFrame.Source, 16)
            .Lookup(DatapathMapNames.Ipcache, StackFrame.Key)
            .If(JumpOperation.JEq, R0, 0, "identity_world")
            .Add(Instruction.LoadMem(R1, R0, 0, Size.Word))
            .Goto("identity_done")
            .Label("identity_world")
            .Mov(R1, WorldIPv4)
            .Load(R2, StackFrame.Family, Size.Byte)
            .If(JumpOperation.JNE, R2, FamilyIPv6, "identity_done")
            .Mov(R1, WorldIPv6)
            .Label("identity_done")
            .Store(StackFrame.PeerIdentity, R1, Size.Word);
}
