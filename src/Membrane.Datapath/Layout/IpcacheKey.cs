using System.Net;
using System.Runtime.InteropServices;

namespace Membrane.Datapath.Layout;

/// <summary>
/// The ipcache LPM trie's key: the family word (matched whole) and the address in network order, so a prefix of the
/// key is the family and a prefix of the address. A lookup uses <see cref="DatapathConstants.IpcacheKeyBits"/>; an
/// IPv4 address has zeros after its four bytes, which every IPv4 prefix (at most 32 address bits) ignores.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4, Size = 24)]
public struct IpcacheKey : IEquatable<IpcacheKey>
{
    public uint PrefixLength;
    public byte Family;
    public byte Reserved1;
    public ushort Reserved2;
    public IpAddress16 Address;

    public static IpcacheKey Of(byte family, in IpAddress16 address, int addressPrefixLength) =>
        new() { PrefixLength = (uint)(DatapathConstants.IpcacheFamilyBits + addressPrefixLength), Family = family, Address = address };

    /// <summary>The key of a prefix (its base address has no host bits, as <see cref="IPNetwork"/> guarantees).</summary>
    public static IpcacheKey Of(IPNetwork prefix) =>
        Of(IpAddress16.FamilyOf(prefix.BaseAddress), IpAddress16.From(prefix.BaseAddress), prefix.PrefixLength);

    /// <summary>The key of one address: a /32 or a /128.</summary>
    public static IpcacheKey Host(IPAddress address) => Of(new IPNetwork(address, address.GetAddressBytes().Length * 8));

    public readonly bool Equals(IpcacheKey other) => PrefixLength == other.PrefixLength && Family == other.Family && Address.Equals(other.Address);

    public override readonly bool Equals(object? obj) => obj is IpcacheKey other && Equals(other);

    public override readonly int GetHashCode() => HashCode.Combine(PrefixLength, Family, Address);
}
