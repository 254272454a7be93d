using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Packets;

/// <summary>
/// Builds Ethernet frames for tests, trace and the differential test: IPv4 (with options) or IPv6 (with extension
/// headers), TCP, UDP, SCTP, ICMP and ICMPv6 (echo, errors that embed another packet's header, any type), other
/// protocols, and fragments. A fragment with a non-zero offset carries only payload bytes, as on the wire. IPv4,
/// TCP, UDP, ICMP and ICMPv6 checksums are filled in (SCTP's CRC32c is left 0: nothing on the path reads it).
/// </summary>
public sealed class PacketBuilder
{
    public const byte TcpFin = 0x01;
    public const byte TcpSyn = 0x02;
    public const byte TcpRst = 0x04;
    public const byte TcpPsh = 0x08;
    public const byte TcpAck = 0x10;

    private static readonly byte[] SourceMac = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
    private static readonly byte[] DestinationMac = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];

    private readonly IPAddress _source;
    private readonly IPAddress _destination;
    private readonly List<(byte Type, byte[] Body)> _extensionHeaders = [];
    private byte _protocol = IpProtocols.Udp;
    private byte[] _l4Header = new byte[8];
    private byte[] _payload = [];
    private byte _hopLimit = 64;
    private byte[] _options = [];
    private ushort _etherType;
    private (uint Id, int Offset, bool More)? _ipv4Fragment;
    private bool _laterFragment;
    private ushort _ipv4Identification = 1;

    private PacketBuilder(IPAddress source, IPAddress destination)
    {
        if (source.AddressFamily != destination.AddressFamily)
        {
            throw new ArgumentException($"{source} and {destination} are of different families");
        }

        _source = source;
        _destination = destination;
        _etherType = IsIPv6 ? DatapathConstants.EtherTypeIPv6 : DatapathConstants.EtherTypeIPv4;
        Udp(1, 1);
    }

    public bool IsIPv6 => _source.AddressFamily == AddressFamily.InterNetworkV6;

    public byte IcmpProtocol => IsIPv6 ? IpProtocols.IcmpV6 : IpProtocols.Icmp;

    public static PacketBuilder Between(IPAddress source, IPAddress destination) => new(source, destination);

    public static PacketBuilder Between(string source, string destination) => new(IPAddress.Parse(source), IPAddress.Parse(destination));

    public PacketBuilder Tcp(ushort sourcePort, ushort destinationPort, byte flags = TcpSyn)
    {
        var header = new byte[20];
        WritePorts(header, sourcePort, destinationPort);
        header[12] = 5 << 4;
        header[13] = flags;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), 65535);
        return L4(IpProtocols.Tcp, header);
    }

    public PacketBuilder Udp(ushort sourcePort, ushort destinationPort)
    {
        var header = new byte[8];
        WritePorts(header, sourcePort, destinationPort);
        return L4(IpProtocols.Udp, header);
    }

    public PacketBuilder Sctp(ushort sourcePort, ushort destinationPort, uint verificationTag = 0)
    {
        var header = new byte[12];
        WritePorts(header, sourcePort, destinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), verificationTag);
        return L4(IpProtocols.Sctp, header);
    }

    /// <summary>The family's ICMP (ICMP in IPv4, ICMPv6 in IPv6): type, code and the header's second word.</summary>
    public PacketBuilder Icmp(byte type, byte code = 0, uint restOfHeader = 0)
    {
        var header = new byte[8];
        header[0] = type;
        header[1] = code;
        BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(4), restOfHeader);
        return L4(IcmpProtocol, header);
    }

    public PacketBuilder EchoRequest(ushort identifier, ushort sequence = 1) =>
        Icmp(IsIPv6 ? DatapathConstants.Icmp6EchoRequest : DatapathConstants.Icmp4EchoRequest, 0, ((uint)identifier << 16) | sequence);

    public PacketBuilder EchoReply(ushort identifier, ushort sequence = 1) =>
        Icmp(IsIPv6 ? DatapathConstants.Icmp6EchoReply : DatapathConstants.Icmp4EchoReply, 0, ((uint)identifier << 16) | sequence);

    /// <summary>
    /// An ICMP error about <paramref name="invoking"/>: its IP packet (IP header onwards) is the error's body, cut to
    /// <paramref name="embeddedLength"/> bytes (RFC 792 asks for the header and 8 bytes; RFC 4443 for as much as fits).
    /// <paramref name="restOfHeader"/> is the second word: the next-hop MTU of frag-needed (RFC 1191) or the MTU of
    /// Packet Too Big.
    /// </summary>
    public PacketBuilder IcmpError(byte type, byte code, PacketBuilder invoking, uint restOfHeader = 0, int? embeddedLength = null)
    {
        var inner = invoking.BuildIp();
        Icmp(type, code, restOfHeader);
        _payload = embeddedLength is { } length && length < inner.Length ? inner[..length] : inner;
        return this;
    }

    /// <summary>Any other protocol number, with no header of its own (its bytes are the payload).</summary>
    public PacketBuilder Protocol(byte protocol) => L4(protocol, []);

    public PacketBuilder Payload(byte[] payload)
    {
        _payload = payload;
        return this;
    }

    public PacketBuilder HopLimit(byte hopLimit)
    {
        _hopLimit = hopLimit;
        return this;
    }

    public PacketBuilder Identification(ushort identification)
    {
        _ipv4Identification = identification;
        return this;
    }

    /// <summary>IPv4 options, padded with end-of-options to a multiple of 4 bytes (at most 40).</summary>
    public PacketBuilder IPv4Options(byte[] options)
    {
        RequireFamily(ipv6: false);
        _options = new byte[(options.Length + 3) / 4 * 4];
        options.CopyTo(_options, 0);
        return this;
    }

    /// <summary>
    /// An IPv6 extension header of <paramref name="length"/> bytes, in the chain after those added before: hop-by-hop,
    /// routing and destination options in 8-byte units (at least 8), authentication in 4-byte units (at least 12).
    /// </summary>
    public PacketBuilder ExtensionHeader(byte type, int length = 8)
    {
        RequireFamily(ipv6: true);
        var body = new byte[length];
        if (type == DatapathConstants.NextHeaderAuthentication)
        {
            body[1] = (byte)((length / 4) - 2);
        }
        else
        {
            body[1] = (byte)((length / 8) - 1);
            if (type is DatapathConstants.NextHeaderHopByHop or DatapathConstants.NextHeaderDestinationOptions)
            {
                // PadN (RFC 8200 §4.2) over the option area, so the header is well formed.
                body[2] = 1;
                body[3] = (byte)(length - 4);
            }
        }

        _extensionHeaders.Add((type, body));
        return this;
    }

    /// <summary>
    /// Makes the packet one fragment of a datagram: IPv4's identification and flags, or an IPv6 fragment header at this
    /// point of the extension chain. <paramref name="offset"/> is in bytes (a multiple of 8); a non-zero offset leaves
    /// out the L4 header, as a later fragment has none.
    /// </summary>
    public PacketBuilder Fragment(uint identification, int offset, bool more)
    {
        if (offset % 8 != 0)
        {
            throw new ArgumentException("a fragment offset is a multiple of 8 bytes", nameof(offset));
        }

        _laterFragment = offset != 0;
        if (!IsIPv6)
        {
            _ipv4Fragment = (identification, offset, more);
            return this;
        }

        var body = new byte[8];
        BinaryPrimitives.WriteUInt16BigEndian(body.AsSpan(2), (ushort)((offset / 8) << 3 | (more ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(body.AsSpan(4), identification);
        _extensionHeaders.Add((DatapathConstants.NextHeaderFragment, body));
        return this;
    }

    public PacketBuilder EtherType(ushort etherType)
    {
        _etherType = etherType;
        return this;
    }

    public byte[] Build()
    {
        var ip = BuildIp();
        var frame = new byte[DatapathConstants.EthernetHeaderLength + ip.Length];
        DestinationMac.CopyTo(frame, 0);
        SourceMac.CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), _etherType);
        ip.CopyTo(frame, DatapathConstants.EthernetHeaderLength);
        return frame;
    }

    /// <summary>The IP packet alone, from the IP header on: what an ICMP error embeds.</summary>
    public byte[] BuildIp()
    {
        var l4 = _laterFragment ? _payload : [.. L4WithChecksum()];
        return IsIPv6 ? BuildIPv6(l4) : BuildIPv4(l4);
    }

    private byte[] BuildIPv4(byte[] l4)
    {
        var headerLength = DatapathConstants.IPv4MinimumHeaderLength + _options.Length;
        var packet = new byte[headerLength + l4.Length];
        packet[0] = (byte)(0x40 | (headerLength / 4));
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(2), (ushort)packet.Length);
        var (id, offset, more) = _ipv4Fragment ?? (_ipv4Identification, 0, false);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)id);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(6), (ushort)((more ? 0x2000 : 0) | (offset / 8)));
        packet[8] = _hopLimit;
        packet[9] = _protocol;
        _source.TryWriteBytes(packet.AsSpan(12, 4), out _);
        _destination.TryWriteBytes(packet.AsSpan(16, 4), out _);
        _options.CopyTo(packet, DatapathConstants.IPv4MinimumHeaderLength);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(10), Checksum(packet.AsSpan(0, headerLength), 0));
        l4.CopyTo(packet, headerLength);
        return packet;
    }

    private byte[] BuildIPv6(byte[] l4)
    {
        var extensionLength = _extensionHeaders.Sum(header => header.Body.Length);
        var packet = new byte[DatapathConstants.IPv6HeaderLength + extensionLength + l4.Length];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(packet.Length - DatapathConstants.IPv6HeaderLength));
        packet[6] = _extensionHeaders.Count > 0 ? _extensionHeaders[0].Type : _protocol;
        packet[7] = _hopLimit;
        _source.TryWriteBytes(packet.AsSpan(8, 16), out _);
        _destination.TryWriteBytes(packet.AsSpan(24, 16), out _);
        var at = DatapathConstants.IPv6HeaderLength;
        for (var i = 0; i < _extensionHeaders.Count; i++)
        {
            var body = _extensionHeaders[i].Body;
            body.CopyTo(packet, at);
            packet[at] = i + 1 < _extensionHeaders.Count ? _extensionHeaders[i + 1].Type : _protocol;
            at += body.Length;
        }

        l4.CopyTo(packet, at);
        return packet;
    }

    private byte[] L4WithChecksum()
    {
        var segment = new byte[_l4Header.Length + _payload.Length];
        _l4Header.CopyTo(segment, 0);
        _payload.CopyTo(segment, _l4Header.Length);
        // RFC 768/793/4443 §2.3: the checksum covers a pseudo-header (ICMPv4's does not, RFC 792); a first fragment's
        // checksum would cover the whole datagram, which the builder does not have, so fragments keep a partial one.
        var checksumAt = _protocol switch
        {
            IpProtocols.Tcp => 16,
            IpProtocols.Udp => 6,
            IpProtocols.Icmp or IpProtocols.IcmpV6 when _protocol == IcmpProtocol => 2,
            _ => -1,
        };
        if (checksumAt < 0 || segment.Length < checksumAt + 2)
        {
            return segment;
        }

        if (_protocol == IpProtocols.Udp)
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(4), (ushort)segment.Length);
        }

        var pseudo = _protocol == IpProtocols.Icmp && !IsIPv6 ? 0u : PseudoHeaderSum(segment.Length);
        var checksum = Checksum(segment, pseudo);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(checksumAt), _protocol == IpProtocols.Udp && checksum == 0 ? (ushort)0xFFFF : checksum);
        return segment;
    }

    private uint PseudoHeaderSum(int length)
    {
        Span<byte> addresses = stackalloc byte[32];
        var size = IsIPv6 ? 16 : 4;
        _source.TryWriteBytes(addresses, out _);
        _destination.TryWriteBytes(addresses[size..], out _);
        var sum = Sum(addresses[..(2 * size)]);
        return sum + (uint)(length >> 16) + (uint)(length & 0xFFFF) + _protocol;
    }

    /// <summary>The Internet checksum (RFC 1071): one's complement of the one's-complement sum of 16-bit words.</summary>
    private static ushort Checksum(ReadOnlySpan<byte> data, uint initial)
    {
        var sum = initial + Sum(data);
        while (sum >> 16 != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    private static uint Sum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if (data.Length % 2 == 1)
        {
            sum += (uint)data[^1] << 8;
        }

        return sum;
    }

    private PacketBuilder L4(byte protocol, byte[] header)
    {
        _protocol = protocol;
        _l4Header = header;
        return this;
    }

    private static void WritePorts(byte[] header, ushort sourcePort, ushort destinationPort)
    {
        BinaryPrimitives.WriteUInt16BigEndian(header, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), destinationPort);
    }

    private void RequireFamily(bool ipv6)
    {
        if (IsIPv6 != ipv6)
        {
            throw new InvalidOperationException(ipv6 ? "extension headers are IPv6's" : "options are IPv4's");
        }
    }
}
