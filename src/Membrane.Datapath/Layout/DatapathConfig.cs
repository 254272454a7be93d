using System.Runtime.InteropServices;

namespace Membrane.Datapath.Layout;

/// <summary>
/// The node-wide settings, in a one-element array map: whether passed new flows are sent as events, the always-allowed
/// ICMPv6 types (bits over 128..159, narrowed from <see cref="DatapathConstants.AlwaysAllowedIcmpV6Types"/> and never
/// widened: the program masks it with that set), and the event token bucket's rate (per second per CPU) and burst.
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 4, Size = 16)]
public record struct DatapathConfig
{
    public const uint FlagEmitAllowEvents = 1;

    public uint Flags;
    public uint AlwaysAllowedIcmpV6Types;
    public uint EventRate;
    public uint EventBurst;

    public static DatapathConfig Default { get; } = new()
    {
        AlwaysAllowedIcmpV6Types = DatapathConstants.AlwaysAllowedIcmpV6Types,
        EventRate = DatapathConstants.DefaultEventRate,
        EventBurst = DatapathConstants.DefaultEventBurst,
    };
}
