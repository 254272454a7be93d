using Membrane.Bpf.Asm;
using Membrane.Datapath.Layout;

namespace Membrane.Datapath.Ebpf.Generator;

/// <summary>
/// Builds a <see cref="ConntrackKey"/> in the key scratch (docs/datapath.md §4): the forward key of the packet as it
/// is, the reverse key of a reply, and the two keys of the flow an ICMP error carries.
/// </summary>
internal static class ConntrackKeys
{
    public const int Size = 44;

    /// <summary><c>{src, dst, sport, dport, E, protocol, family, D}</c>.</summary>
    public static ProgramEmitter Forward(ProgramEmitter e) =>
        Build(e, StackFrame.Source, StackFrame.Destination, StackFrame.SourcePort, StackFrame.DestinationPort, StackFrame.Protocol, e.Direction);

    /// <summary><c>{dst, src, dport, sport, E, protocol, family, not D}</c>.</summary>
    public static ProgramEmitter Reverse(ProgramEmitter e) =>
        Build(e, StackFrame.Destination, StackFrame.Source, StackFrame.DestinationPort, StackFrame.SourcePort, StackFrame.Protocol, e.OtherDirection);

    /// <summary>The embedded flow as the endpoint sent it: <c>{inner src, inner dst, inner sport, inner dport, not D}</c>.</summary>
    public static ProgramEmitter EmbeddedAsSent(ProgramEmitter e) =>
        Build(e, StackFrame.InnerSource, StackFrame.InnerDestination, StackFrame.InnerSourcePort, StackFrame.InnerDestinationPort, StackFrame.InnerProtocol, e.OtherDirection);

    /// <summary>The embedded flow as a reply the endpoint sent: <c>{inner dst, inner src, inner dport, inner sport, D}</c>.</summary>
    public static ProgramEmitter EmbeddedAsReply(ProgramEmitter e) =>
        Build(e, StackFrame.InnerDestination, StackFrame.InnerSource, StackFrame.InnerDestinationPort, StackFrame.InnerSourcePort, StackFrame.InnerProtocol, e.Direction);

    private static ProgramEmitter Build(ProgramEmitter e, short source, short destination, short sourcePort, short destinationPort, short protocol, byte direction) =>
        e.CopyStack(StackFrame.Key, source, 16)
            .CopyStack(StackFrame.Key + 16, destination, 16)
            .CopyStack(StackFrame.Key + 32, sourcePort, 2)
            .CopyStack(StackFrame.Key + 34, destinationPort, 2)
            .CopyStack(StackFrame.Key + 36, StackFrame.EndpointId, 4)
            .Store(StackFrame.Key + 40, 0, Bpf.Asm.Size.Word)
            .CopyStack(StackFrame.Key + 40, protocol, 1)
            .CopyStack(StackFrame.Key + 41, StackFrame.Family, 1)
            .Store(StackFrame.Key + 42, direction, Bpf.Asm.Size.Byte);
}
