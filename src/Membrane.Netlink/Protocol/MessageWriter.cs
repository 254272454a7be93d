using System.Net;
using System.Runtime.InteropServices;
using System.Text;
using Membrane.Netlink.Interop;

namespace Membrane.Netlink.Protocol;

/// <summary>
/// Builds one netlink request in a reusable buffer: the <c>nlmsghdr</c>, the fixed family struct, then attributes,
/// each padded to <see cref="NetlinkAlignment.Boundary"/>. Values go in host byte order except addresses, which the
/// kernel keeps in network order. Nested attributes are opened with <see cref="BeginNested"/> and closed with
/// <see cref="EndNested"/>, which patches their length once the contents are known.
/// </summary>
internal sealed class MessageWriter
{
    private byte[] buffer = new byte[4096];

    public int Length { get; private set; }

    public ushort Type { get; private set; }

    public ushort Flags { get; private set; }

    /// <summary>The message so far, header included; the header's length and sequence are set by <see cref="Seal"/>.</summary>
    public ReadOnlySpan<byte> Message => buffer.AsSpan(0, Length);

    /// <summary>Starts a new message of <paramref name="type"/> with its fixed part. <paramref name="flags"/> are the
    /// request's own (NLM_F_CREATE, EXCL, REPLACE); the socket adds the protocol flags when it sends.</summary>
    public MessageWriter Begin<TFixed>(ushort type, in TFixed fixedPart, ushort flags = 0)
        where TFixed : unmanaged
    {
        Length = 0;
        Type = type;
        Flags = flags;
        Reserve(NetlinkAlignment.MessageHeaderLength);
        Append(MemoryMarshal.AsBytes(new ReadOnlySpan<TFixed>(in fixedPart)));
        return this;
    }

    /// <summary>Fills in the header: total length, type, the request's flags plus <paramref name="protocolFlags"/>
    /// (NLM_F_REQUEST with ACK or DUMP, which the socket decides), and the sequence number the reply will carry.</summary>
    public ReadOnlySpan<byte> Seal(uint sequence, ushort protocolFlags)
    {
        var header = new NlMsgHdr
        {
            Length = (uint)Length, Type = Type, Flags = (ushort)(Flags | protocolFlags), Sequence = sequence, PortId = 0,
        };
        MemoryMarshal.Write(buffer.AsSpan(0, NetlinkAlignment.MessageHeaderLength), in header);
        return Message;
    }

    public MessageWriter Attribute(ushort type, ReadOnlySpan<byte> value)
    {
        var start = Length;
        Reserve(NetlinkAlignment.AttributeHeaderLength);
        Append(value);
        WriteAttributeHeader(start, type);
        Pad();
        return this;
    }

    public MessageWriter Attribute(ushort type, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        MemoryMarshal.Write(bytes, in value); // host byte order
        return Attribute(type, bytes);
    }

    public MessageWriter Attribute(ushort type, int value) => Attribute(type, unchecked((uint)value));

    /// <summary>A string attribute with its terminating NUL, as NLA_NUL_STRING policies (IFLA_IFNAME, TCA_KIND) expect.</summary>
    public MessageWriter Attribute(ushort type, string value)
    {
        var length = Encoding.UTF8.GetByteCount(value);
        Span<byte> bytes = length < 256 ? stackalloc byte[length + 1] : new byte[length + 1];
        Encoding.UTF8.GetBytes(value, bytes);
        bytes[length] = 0;
        return Attribute(type, bytes);
    }

    /// <summary>An address in network byte order: 4 bytes for IPv4, 16 for IPv6.</summary>
    public MessageWriter Attribute(ushort type, IPAddress address)
    {
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out var written);
        return Attribute(type, bytes[..written]);
    }

    /// <summary>Opens a nested attribute and returns where it starts, for <see cref="EndNested"/>.</summary>
    public int BeginNested(ushort type)
    {
        var start = Length;
        Reserve(NetlinkAlignment.AttributeHeaderLength);
        WriteAttributeHeader(start, (ushort)(type | Attributes.NLA_F_NESTED));
        return start;
    }

    /// <summary>A nested attribute whose contents start with a fixed struct (VETH_INFO_PEER holds an ifinfomsg).</summary>
    public int BeginNested<TFixed>(ushort type, in TFixed fixedPart)
        where TFixed : unmanaged
    {
        var start = BeginNested(type);
        Append(MemoryMarshal.AsBytes(new ReadOnlySpan<TFixed>(in fixedPart)));
        Pad();
        return start;
    }

    public void EndNested(int start)
    {
        var type = AttributeReader.ReadHostUInt16(buffer.AsSpan(start + 2));
        WriteAttributeHeader(start, type);
    }

    private void WriteAttributeHeader(int start, ushort type)
    {
        var length = (ushort)(Length - start);
        var header = buffer.AsSpan(start, NetlinkAlignment.AttributeHeaderLength);
        MemoryMarshal.Write(header, in length);
        MemoryMarshal.Write(header[2..], in type);
    }

    private void Append(ReadOnlySpan<byte> bytes)
    {
        var start = Length;
        Reserve(bytes.Length);
        bytes.CopyTo(buffer.AsSpan(start));
    }

    private void Pad() => Reserve(NetlinkAlignment.Align(Length) - Length);

    /// <summary>Extends the message by <paramref name="count"/> zeroed bytes, growing the buffer when needed.</summary>
    private void Reserve(int count)
    {
        if (Length + count > buffer.Length)
        {
            Array.Resize(ref buffer, Math.Max(buffer.Length * 2, Length + count));
        }

        buffer.AsSpan(Length, count).Clear();
        Length += count;
    }
}
