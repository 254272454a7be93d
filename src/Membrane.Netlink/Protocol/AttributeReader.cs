using System.Buffers.Binary;
using System.Net;
using System.Text;

namespace Membrane.Netlink.Protocol;

/// <summary>
/// Walks the attributes of a netlink payload (<c>struct nlattr</c>/<c>struct rtattr</c>: u16 length, u16 type, then
/// the value), stepping by the aligned length. A truncated or malformed attribute ends the walk rather than reading
/// past the span: the kernel never sends one, so a short walk is the safe reading of a corrupt reply.
/// </summary>
internal ref struct AttributeReader
{
    private ReadOnlySpan<byte> remaining;

    public AttributeReader(ReadOnlySpan<byte> attributes)
    {
        remaining = attributes;
    }

    /// <summary>The type of the current attribute, without NLA_F_NESTED and NLA_F_NET_BYTEORDER.</summary>
    public ushort Type { get; private set; }

    public ReadOnlySpan<byte> Value { get; private set; }

    public bool MoveNext()
    {
        if (remaining.Length < NetlinkAlignment.AttributeHeaderLength)
        {
            return false;
        }

        var length = ReadHostUInt16(remaining);
        if (length < NetlinkAlignment.AttributeHeaderLength || length > remaining.Length)
        {
            return false;
        }

        Type = (ushort)(ReadHostUInt16(remaining[2..]) & Interop.Attributes.NLA_TYPE_MASK);
        Value = remaining[NetlinkAlignment.AttributeHeaderLength..length];
        var step = Math.Min(NetlinkAlignment.Align(length), remaining.Length);
        remaining = remaining[step..];
        return true;
    }

    /// <summary>Netlink fixed fields and attribute values are in host byte order.</summary>
    public static ushort ReadHostUInt16(ReadOnlySpan<byte> bytes) => BitConverter.IsLittleEndian
        ? BinaryPrimitives.ReadUInt16LittleEndian(bytes)
        : BinaryPrimitives.ReadUInt16BigEndian(bytes);

    public static uint ReadHostUInt32(ReadOnlySpan<byte> bytes) => BitConverter.IsLittleEndian
        ? BinaryPrimitives.ReadUInt32LittleEndian(bytes)
        : BinaryPrimitives.ReadUInt32BigEndian(bytes);

    public readonly uint ValueAsUInt32() => Value.Length >= 4 ? ReadHostUInt32(Value) : 0;

    /// <summary>A NUL-terminated string attribute (NLA_NUL_STRING/NLA_STRING), without the NUL.</summary>
    public readonly string ValueAsString()
    {
        var end = Value.IndexOf((byte)0);
        return Encoding.UTF8.GetString(end >= 0 ? Value[..end] : Value);
    }

    /// <summary>An IPv4 or IPv6 address attribute, in network byte order as the kernel stores it.</summary>
    public readonly IPAddress? ValueAsAddress() => Value.Length is 4 or 16 ? new IPAddress(Value) : null;
}
