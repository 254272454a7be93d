using System.Runtime.InteropServices;

namespace Membrane.Datapath.Layout;

/// <summary>
/// One ring-buffer event: a drop, or a passed new flow. It carries the reason, the direction, both identities, the
/// addresses, the protocol with its ports or ICMP type and code, and the policy entry that decided (its cookie, its
/// value prefix and which lookup found it).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 8, Size = 80)]
public struct EventRecord
{
    public byte Kind;
    public byte Reason;
    public byte Direction;
    public byte Family;
    public byte Protocol;
    public byte IcmpType;
    public byte IcmpCode;
    public byte DecidedBy;
    public uint EndpointId;
    public uint EndpointIdentity;
    public uint PeerIdentity;
    public uint Ifindex;
    public ushort SourcePort;
    public ushort DestinationPort;
    public uint PolicyCookie;
    public byte PolicyPrefixLength;
    public byte PolicyFlags;
    public ushort Reserved;
    public uint PacketLength;
    public IpAddress16 Source;
    public IpAddress16 Destination;
    public ulong Timestamp;
}
