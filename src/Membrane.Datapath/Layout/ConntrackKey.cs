using System.Runtime.InteropServices;

namespace Membrane.Datapath.Layout;

/// <summary>
/// A tracked flow, as it was first seen by one endpoint's program: source and destination in the packet's own order,
/// ports in host order (for ICMP echo both hold the identifier, so that swapping them for the reply changes nothing),
/// the endpoint, the protocol, the family, and the direction the flow was allowed in. The endpoint is part of the key
/// because both endpoints of a flow on one node see it, and each must decide it against its own policy.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4, Size = 44)]
public struct ConntrackKey : IEquatable<ConntrackKey>
{
    public IpAddress16 Source;
    public IpAddress16 Destination;
    public ushort SourcePort;
    public ushort DestinationPort;
    public uint EndpointId;
    public byte Protocol;
    public byte Family;
    public byte Direction;
    public byte Reserved;

    public readonly bool Equals(ConntrackKey other) =>
        Source.Equals(other.Source) && Destination.Equals(other.Destination) && SourcePort == other.SourcePort &&
        DestinationPort == other.DestinationPort && EndpointId == other.EndpointId && Protocol == other.Protocol &&
        Family == other.Family && Direction == other.Direction && Reserved == other.Reserved;

    public override readonly bool Equals(object? obj) => obj is ConntrackKey other && Equals(other);

    public override readonly int GetHashCode() =>
        HashCode.Combine(Source, Destination, SourcePort, DestinationPort, EndpointId, Protocol, Family, Direction);

    public override readonly string ToString() =>
        $"ep {EndpointId} dir {Direction} proto {Protocol} {Source.ToAddress(Family)}:{SourcePort} -> {Destination.ToAddress(Family)}:{DestinationPort}";
}
