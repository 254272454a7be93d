using Membrane.Bpf.Asm;
using Membrane.Datapath.Layout;

namespace Membrane.Datapath.Ebpf.Generator;

/// <summary>Builds the packet's <see cref="FragmentKey"/> in the key scratch: {source, destination, identification,
/// endpoint, protocol, family, direction}, every byte written.</summary>
internal static class FragmentKeys
{
    public const int Size = 44;

    public static ProgramEmitter Build(ProgramEmitter e) =>
        e.Comment("fragment key {src, dst, id, endpoint, protocol, family, direction}")
            .CopyStack(StackFrame.Key, StackFrame.Source, 16)
            .CopyStack(StackFrame.Key + 16, StackFrame.Destination, 16)
            .CopyStack(StackFrame.Key + 32, StackFrame.FragmentId, 4)
            .CopyStack(StackFrame.Key + 36, StackFrame.EndpointId, 4)
            .Store(StackFrame.Key + 40, 0, Bpf.Asm.Size.Word)
            .CopyStack(StackFrame.Key + 40, StackFrame.Protocol, 1)
            .CopyStack(StackFrame.Key + 41, StackFrame.Family, 1)
            .Store(StackFrame.Key + 42, e.Direction, Bpf.Asm.Size.Byte);
}
