using System.Runtime.InteropServices;

namespace Membrane.Datapath.Layout;

/// <summary>
/// What the program knows of the endpoint behind an interface, keyed by the host-side veth's ifindex in a hash map
/// (BPF_F_NO_PREALLOC, so that an update replaces the element under RCU and a reader sees the old value or the new,
/// never a mix). <see cref="PolicyId"/> names which of the endpoint's two policy buffers is live
/// (<c>EndpointId &lt;&lt; 1 | buffer</c>) and <see cref="Flags"/> holds that buffer's default-deny bits: one update
/// switches both, which is what makes a policy change atomic.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4, Size = 16)]
public record struct EndpointConfig
{
    public const uint FlagIngressDefaultDeny = 1;
    public const uint FlagEgressDefaultDeny = 2;

    public uint EndpointId;
    public uint Identity;
    public uint PolicyId;
    public uint Flags;

    public static uint PolicyIdOf(uint endpointId, int buffer) => (endpointId << 1) | (uint)(buffer & 1);

    public readonly bool IsDefaultDeny(byte direction) =>
        (Flags & (direction == DatapathConstants.DirectionIngress ? FlagIngressDefaultDeny : FlagEgressDefaultDeny)) != 0;
}
