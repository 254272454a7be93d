using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Membrane.Datapath.Layout;

/// <summary>
/// What the program knows of the endpoint behind an interface, keyed by the host-side veth's ifindex in a hash map
/// (BPF_F_NO_PREALLOC, so that an update replaces the element under RCU and a reader sees the old value or the new,
/// never a mix). <see cref="PolicyId"/> names which of the endpoint's two policy buffers is live
/// (<c>EndpointId &lt;&lt; 1 | buffer</c>) and <see cref="Flags"/> holds that buffer's default-deny bits: one update
/// switches both, which is what makes a policy change atomic. <see cref="IPv4"/> and <see cref="IPv6"/> are the
/// endpoint's own addresses, the only sources its packets may carry (docs/datapath.md §2 step 3a); all zero means the
/// endpoint has no address of that family, so every packet of the family leaving it is dropped.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4, Size = 36)]
public record struct EndpointConfig
{
    public const uint FlagIngressDefaultDeny = 1;
    public const uint FlagEgressDefaultDeny = 2;

    public uint EndpointId;
    public uint Identity;
    public uint PolicyId;
    public uint Flags;

    /// <summary>The endpoint's IPv6 address in network order (offset 16, so the program reads it as two aligned u64).</summary>
    public IpAddress16 IPv6;

    /// <summary>The endpoint's IPv4 address: its four bytes in network order, as they lie in the packet.</summary>
    public uint IPv4;

    public static uint PolicyIdOf(uint endpointId, int buffer) => (endpointId << 1) | (uint)(buffer & 1);

    public readonly bool IsDefaultDeny(byte direction) =>
        (Flags & (direction == DatapathConstants.DirectionIngress ? FlagIngressDefaultDeny : FlagEgressDefaultDeny)) != 0;

    /// <summary>This configuration with the endpoint's addresses: one of each family at most (null: none).</summary>
    public readonly EndpointConfig WithAddresses(IPAddress? ipv4, IPAddress? ipv6)
    {
        if (ipv4 is { AddressFamily: not AddressFamily.InterNetwork } || ipv6 is { AddressFamily: not AddressFamily.InterNetworkV6 })
        {
            throw new ArgumentException($"an endpoint's addresses are one IPv4 and one IPv6 address, not {ipv4} and {ipv6}");
        }

        var copy = this;
        copy.IPv4 = ipv4 is null ? 0 : MemoryMarshal.Read<uint>(ipv4.GetAddressBytes());
        copy.IPv6 = ipv6 is null ? default : IpAddress16.From(ipv6);
        return copy;
    }

    /// <summary>Whether <paramref name="source"/> (as the maps hold addresses) is the endpoint's own address of <paramref name="family"/>.</summary>
    public readonly bool IsOwnAddress(byte family, in IpAddress16 source)
    {
        if (family == DatapathConstants.FamilyIPv4)
        {
            return IPv4 != 0 && MemoryMarshal.Read<uint>((ReadOnlySpan<byte>)source) == IPv4;
        }

        return family == DatapathConstants.FamilyIPv6 && !IPv6.Equals(default) && source.Equals(IPv6);
    }
}
