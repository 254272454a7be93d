using System.Buffers.Binary;
using Membrane.Datapath.Layout;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Packets;

/// <summary>
/// Step 2 of the per-packet path (docs/datapath.md §2): Ethernet, IPv4 or IPv6 with its extension headers, fragments,
/// and the L4 header, read from a span with every length checked before the read. The result is a reason: a drop or
/// an always-pass (<see cref="VerdictReason.NotIp"/>) that decides the packet, or <see cref="VerdictReason.None"/>
/// for an IP packet that goes on through the path. The eBPF generator emits the same checks in the same order.
/// </summary>
public static class PacketParser
{
    private const int EthernetTypeOffset = 12;
    private const int L3 = DatapathConstants.EthernetHeaderLength;

    // RFC 791: MF is bit 13 of the flags/offset word, the offset its low 13 bits (in 8-byte units).
    private const ushort IPv4MoreFragments = 0x2000;
    private const ushort IPv4OffsetMask = 0x1FFF;

    public static VerdictReason TryParse(ReadOnlySpan<byte> frame, out ParsedPacket packet)
    {
        packet = default;
        if (frame.Length < DatapathConstants.EthernetHeaderLength)
        {
            return VerdictReason.Truncated;
        }

        return BinaryPrimitives.ReadUInt16BigEndian(frame[EthernetTypeOffset..]) switch
        {
            DatapathConstants.EtherTypeIPv4 => ParseIPv4(frame, ref packet),
            DatapathConstants.EtherTypeIPv6 => ParseIPv6(frame, ref packet),
            // A VLAN tag hides the real EtherType; the program does not look inside, so it does not let it through.
            DatapathConstants.EtherTypeVlan or DatapathConstants.EtherTypeQinQ => VerdictReason.UnsupportedEncapsulation,
            _ => VerdictReason.NotIp,
        };
    }

    private static VerdictReason ParseIPv4(ReadOnlySpan<byte> frame, ref ParsedPacket packet)
    {
        packet.Family = DatapathConstants.FamilyIPv4;
        if (frame.Length - L3 < DatapathConstants.IPv4MinimumHeaderLength)
        {
            return VerdictReason.Truncated;
        }

        var ip = frame[L3..];
        packet.Protocol = ip[9];
        packet.HopLimit = ip[8];
        packet.Source = IpAddress16.From(ip.Slice(12, 4));
        packet.Destination = IpAddress16.From(ip.Slice(16, 4));

        var version = ip[0] >> 4;
        var headerLength = (ip[0] & 0x0F) * 4;
        var totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        if (version != 4 || headerLength < DatapathConstants.IPv4MinimumHeaderLength || totalLength < headerLength)
        {
            return VerdictReason.MalformedIpHeader;
        }

        if (headerLength > ip.Length || totalLength > ip.Length)
        {
            return VerdictReason.Truncated;
        }

        var fragmentWord = BinaryPrimitives.ReadUInt16BigEndian(ip[6..]);
        var offset = fragmentWord & IPv4OffsetMask;
        packet.IsFragment = (fragmentWord & IPv4MoreFragments) != 0 || offset != 0;
        packet.IsLaterFragment = offset != 0;
        packet.FragmentId = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);

        // Options are skipped by IHL; the datagram ends at the total length (Ethernet padding is not part of it).
        return packet.IsLaterFragment ? VerdictReason.None : ParseL4(ip[headerLength..totalLength], ref packet);
    }

    private static VerdictReason ParseIPv6(ReadOnlySpan<byte> frame, ref ParsedPacket packet)
    {
        packet.Family = DatapathConstants.FamilyIPv6;
        if (frame.Length - L3 < DatapathConstants.IPv6HeaderLength)
        {
            return VerdictReason.Truncated;
        }

        var ip = frame[L3..];
        packet.Protocol = ip[6];
        packet.HopLimit = ip[7];
        packet.Source = IpAddress16.From(ip.Slice(8, 16));
        packet.Destination = IpAddress16.From(ip.Slice(24, 16));
        if (ip[0] >> 4 != 6)
        {
            return VerdictReason.MalformedIpHeader;
        }

        // Payload length 0 is a jumbogram (RFC 2675) or a BIG TCP packet: the datagram runs to the end of the packet.
        var payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        var datagramLength = payloadLength == 0 ? ip.Length : DatapathConstants.IPv6HeaderLength + payloadLength;
        if (datagramLength > ip.Length)
        {
            return VerdictReason.Truncated;
        }

        var datagram = ip[..datagramLength];
        var offset = DatapathConstants.IPv6HeaderLength;
        for (var walked = 0; IsExtensionHeader(packet.Protocol); walked++)
        {
            if (walked == DatapathConstants.MaxExtensionHeaders)
            {
                return VerdictReason.TooManyExtensionHeaders;
            }

            if (packet.Protocol == DatapathConstants.NextHeaderFragment)
            {
                // RFC 8200 §4.5: next header, reserved, offset (13 bits) << 3 | M, identification.
                if (datagram.Length - offset < 8)
                {
                    return VerdictReason.Truncated;
                }

                var fragmentWord = BinaryPrimitives.ReadUInt16BigEndian(datagram[(offset + 2)..]);
                packet.Protocol = datagram[offset];
                var fragmentOffset = fragmentWord >> 3;
                // The last fragment header walked decides. An atomic fragment (offset 0, M clear: RFC 6946) is a
                // whole datagram, not a fragment.
                packet.IsFragment = fragmentOffset != 0 || (fragmentWord & 1) != 0;
                packet.HasFragmentHeader = true;
                packet.FragmentId = BinaryPrimitives.ReadUInt32BigEndian(datagram[(offset + 4)..]);
                if (fragmentOffset != 0)
                {
                    // A later fragment's payload is the middle of the datagram: there is nothing more to read.
                    packet.IsLaterFragment = true;
                    return VerdictReason.None;
                }

                offset += 8;
                continue;
            }

            // Every extension header is at least 8 bytes (RFC 8200 §4; AH: RFC 4302 §2.2 gives 12 for its payload).
            if (datagram.Length - offset < 8)
            {
                return VerdictReason.Truncated;
            }

            // RFC 8200 §4.3-4.6: length in 8-byte units not counting the first 8; RFC 4302 §2.2: AH in 4-byte units
            // not counting the first 8.
            var length = packet.Protocol == DatapathConstants.NextHeaderAuthentication
                ? (datagram[offset + 1] + 2) * 4
                : (datagram[offset + 1] + 1) * 8;
            if (datagram.Length - offset < length)
            {
                return VerdictReason.Truncated;
            }

            packet.Protocol = datagram[offset];
            offset += length;
        }

        return ParseL4(datagram[offset..], ref packet);
    }

    private static bool IsExtensionHeader(byte nextHeader) => nextHeader is DatapathConstants.NextHeaderHopByHop or
        DatapathConstants.NextHeaderRouting or DatapathConstants.NextHeaderDestinationOptions or
        DatapathConstants.NextHeaderAuthentication or DatapathConstants.NextHeaderFragment;

    /// <summary>The L4 header, within the IP datagram (<paramref name="l4"/> runs from the L4 header to the datagram's end).</summary>
    private static VerdictReason ParseL4(ReadOnlySpan<byte> l4, ref ParsedPacket packet)
    {
        switch (packet.Protocol)
        {
            case IpProtocols.Tcp:
                if (l4.Length < 20)
                {
                    return VerdictReason.Truncated;
                }

                ReadPorts(l4, ref packet);
                packet.TcpFlags = l4[13];
                return l4[12] >> 4 < 5 ? VerdictReason.MalformedL4Header : VerdictReason.None;
            case IpProtocols.Udp:
                return ReadPortsOf(l4, 8, ref packet);
            case IpProtocols.Sctp:
                return ReadPortsOf(l4, 12, ref packet);
            default:
                return packet.IsIcmp ? ParseIcmp(l4, ref packet) : VerdictReason.None;
        }
    }

    private static VerdictReason ReadPortsOf(ReadOnlySpan<byte> l4, int headerLength, ref ParsedPacket packet)
    {
        if (l4.Length < headerLength)
        {
            return VerdictReason.Truncated;
        }

        ReadPorts(l4, ref packet);
        return VerdictReason.None;
    }

    private static void ReadPorts(ReadOnlySpan<byte> l4, ref ParsedPacket packet)
    {
        packet.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4);
        packet.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
    }

    private static VerdictReason ParseIcmp(ReadOnlySpan<byte> l4, ref ParsedPacket packet)
    {
        if (l4.Length < 8)
        {
            return VerdictReason.Truncated;
        }

        packet.IcmpType = l4[0];
        packet.IcmpCode = l4[1];
        if (ParsedPacket.IsEchoType(packet.Family, packet.IcmpType))
        {
            // RFC 792 / RFC 4443 §4.1: identifier at offset 4. Both ports hold it so the reply's swap changes nothing.
            packet.SourcePort = packet.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
        }
        else if (ParsedPacket.IsErrorType(packet.Family, packet.IcmpType))
        {
            packet.Embedded = ParseEmbedded(l4[8..], packet.Family);
        }

        return VerdictReason.None;
    }

    /// <summary>
    /// The invoking packet's header that an error carries: IPv4 with options (by IHL), or IPv6 followed directly by
    /// the L4 header, then 8 bytes of TCP, UDP, SCTP or the family's ICMP. Anything else, a later fragment among
    /// them, does not read (not valid), and the error then goes to policy.
    /// </summary>
    private static EmbeddedFlow ParseEmbedded(ReadOnlySpan<byte> inner, byte family)
    {
        var flow = default(EmbeddedFlow);
        int headerLength;
        if (family == DatapathConstants.FamilyIPv4)
        {
            if (inner.Length < DatapathConstants.IPv4MinimumHeaderLength || inner[0] >> 4 != 4)
            {
                return default;
            }

            headerLength = (inner[0] & 0x0F) * 4;
            if (headerLength < DatapathConstants.IPv4MinimumHeaderLength || (BinaryPrimitives.ReadUInt16BigEndian(inner[6..]) & IPv4OffsetMask) != 0)
            {
                return default;
            }

            flow.Protocol = inner[9];
            flow.Source = IpAddress16.From(inner.Slice(12, 4));
            flow.Destination = IpAddress16.From(inner.Slice(16, 4));
        }
        else
        {
            if (inner.Length < DatapathConstants.IPv6HeaderLength || inner[0] >> 4 != 6)
            {
                return default;
            }

            headerLength = DatapathConstants.IPv6HeaderLength;
            flow.Protocol = inner[6];
            flow.Source = IpAddress16.From(inner.Slice(8, 16));
            flow.Destination = IpAddress16.From(inner.Slice(24, 16));
        }

        if (inner.Length - headerLength < 8)
        {
            return default;
        }

        var l4 = inner[headerLength..];
        if (flow.Protocol is IpProtocols.Tcp or IpProtocols.Udp or IpProtocols.Sctp)
        {
            flow.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(l4);
            flow.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4[2..]);
        }
        else if (ParsedPacket.IsIcmpOf(family, flow.Protocol))
        {
            flow.IcmpType = l4[0];
            if (ParsedPacket.IsEchoType(family, flow.IcmpType))
            {
                flow.SourcePort = flow.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(l4[4..]);
            }
        }
        else
        {
            return default;
        }

        flow.Valid = true;
        return flow;
    }
}
