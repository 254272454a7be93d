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

    public readonly bool Equals(IpcacheKey other) => PrefixLength == other.PrefixLength && Family == other.Family && Address.Equals(other.Address);

    public override readonly bool Equals(object? obj) => obj is IpcacheKey other && Equals(other);

    public override readonly int GetHashCode() => HashCode.Combine(PrefixLength, Family, Address);
}
