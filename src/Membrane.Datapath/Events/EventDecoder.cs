using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Membrane.Datapath.Layout;

namespace Membrane.Datapath.Events;

/// <summary>
/// Reads the <see cref="EventRecord"/>s the program writes to <c>mbr_events</c>. The program writes the struct in host
/// order, as the map layouts are, so the record is read as it lies; a record shorter than the struct does not read.
/// </summary>
public static class EventDecoder
{
    public static int RecordLength { get; } = Unsafe.SizeOf<EventRecord>();

    public static bool TryRead(ReadOnlySpan<byte> data, out EventRecord record)
    {
        if (data.Length < RecordLength)
        {
            record = default;
            return false;
        }

        record = MemoryMarshal.Read<EventRecord>(data);
        return true;
    }

    public static bool TryDecode(ReadOnlySpan<byte> data, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DatapathEvent? decoded)
    {
        if (!TryRead(data, out var record))
        {
            decoded = null;
            return false;
        }

        decoded = Decode(record);
        return true;
    }

    public static DatapathEvent Decode(in EventRecord record)
    {
        var ip = record.Family is DatapathConstants.FamilyIPv4 or DatapathConstants.FamilyIPv6;
        return new DatapathEvent(
            (EventKind)record.Kind,
            (VerdictReason)record.Reason,
            record.Direction,
            record.Family,
            record.Protocol,
            record.IcmpType,
            record.IcmpCode,
            (DecidedBy)record.DecidedBy,
            record.EndpointId,
            record.EndpointIdentity,
            record.PeerIdentity,
            record.Ifindex,
            ip ? record.Source.ToAddress(record.Family) : null,
            ip ? record.Destination.ToAddress(record.Family) : null,
            record.SourcePort,
            record.DestinationPort,
            record.PolicyCookie,
            record.PolicyPrefixLength,
            record.PolicyFlags,
            record.PacketLength,
            record.Timestamp);
    }
}
