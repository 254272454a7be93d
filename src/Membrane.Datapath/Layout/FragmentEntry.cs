using System.Runtime.InteropServices;

namespace Membrane.Datapath.Layout;

/// <summary>What a first fragment leaves for the later ones: its ports (or ICMP type and code) and its verdict's reason.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 8, Size = 16)]
public record struct FragmentEntry
{
    public ulong ExpiresAt;
    public ushort SourcePort;
    public ushort DestinationPort;
    public byte IcmpType;
    public byte IcmpCode;
    public byte Reason;
    public byte Reserved;
}
