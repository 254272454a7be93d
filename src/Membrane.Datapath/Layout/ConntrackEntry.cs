using System.Runtime.InteropServices;

namespace Membrane.Datapath.Layout;

/// <summary>
/// A tracked flow's state: when it expires (bpf_ktime_get_ns, CLOCK_MONOTONIC), the lifetime last applied, and
/// whether a reply or a TCP FIN/RST has been seen. An expired entry counts as absent, so the map is correct before
/// any garbage collection runs.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 8, Size = 16)]
public record struct ConntrackEntry
{
    public const byte FlagSeenReply = 1;
    public const byte FlagClosing = 2;

    public ulong ExpiresAt;
    public uint LifetimeSeconds;
    public byte Flags;
    public byte Reserved1;
    public ushort Reserved2;
}
