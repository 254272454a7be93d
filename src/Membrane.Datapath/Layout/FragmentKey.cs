using System.Runtime.InteropServices;

namespace Membrane.Datapath.Layout;

/// <summary>
/// A datagram in fragments, as RFC 791 and RFC 8200 §4.5 identify it (source, destination, identification, protocol),
/// seen by one endpoint's program in one direction. IPv4's identification is 16 bits, IPv6's 32.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4, Size = 44)]
public struct FragmentKey : IEquatable<FragmentKey>
{
    public IpAddress16 Source;
    public IpAddress16 Destination;
    public uint FragmentId;
    public uint EndpointId;
    public byte Protocol;
    public byte Family;
    public byte Direction;
    public byte Reserved;

    public readonly bool Equals(FragmentKey other) =>
        Source.Equals(other.Source) && Destination.Equals(other.Destination) && FragmentId == other.FragmentId &&
        EndpointId == other.EndpointId && Protocol == other.Protocol && Family == other.Family && Direction == other.Direction &&
        Reserved == other.Reserved;

    public override readonly bool Equals(object? obj) => obj is FragmentKey other && Equals(other);

    public override readonly int GetHashCode() => HashCode.Combine(Source, Destination, FragmentId, EndpointId, Protocol, Family, Direction);
}
