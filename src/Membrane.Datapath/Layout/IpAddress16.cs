using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;

namespace Membrane.Datapath.Layout;

/// <summary>
/// An address as the maps hold it: 16 bytes in network order. An IPv4 address takes the first four bytes and the rest
/// are zero, so one key layout serves both families (the family is a separate key field).
/// </summary>
[InlineArray(16)]
public struct IpAddress16 : IEquatable<IpAddress16>
{
    private byte _first;

    public static IpAddress16 From(IPAddress address)
    {
        var value = default(IpAddress16);
        if (!address.TryWriteBytes(value, out _))
        {
            throw new ArgumentException($"cannot encode {address}", nameof(address));
        }

        return value;
    }

    public static IpAddress16 From(ReadOnlySpan<byte> bytes)
    {
        var value = default(IpAddress16);
        bytes.CopyTo(value);
        return value;
    }

    public readonly IPAddress ToAddress(byte family) =>
        family == DatapathConstants.FamilyIPv4 ? new IPAddress(((ReadOnlySpan<byte>)this)[..4]) : new IPAddress((ReadOnlySpan<byte>)this);

    public static byte FamilyOf(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetwork ? DatapathConstants.FamilyIPv4 : DatapathConstants.FamilyIPv6;

    public readonly bool Equals(IpAddress16 other) => ((ReadOnlySpan<byte>)this).SequenceEqual(other);

    public override readonly bool Equals(object? obj) => obj is IpAddress16 other && Equals(other);

    public override readonly int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(this);
        return hash.ToHashCode();
    }

    public override readonly string ToString() => Convert.ToHexString(this);
}
