using System.Net;

namespace Membrane.Netlink.Routes;

/// <summary>A route as RTM_GETROUTE reports it.</summary>
/// <param name="OutputIndex">RTA_OIF; null for routes without a device (unreachable, blackhole).</param>
/// <param name="Protocol">RTPROT_*: 2 kernel (prefix routes), 3 boot (ip route add), 4 static...</param>
/// <param name="Type">RTN_*: 1 unicast, 2 local, 3 broadcast...</param>
public sealed record Route(
    IPNetwork Destination,
    IPAddress? Gateway,
    int? OutputIndex,
    RouteScope Scope,
    int Table,
    byte Protocol,
    byte Type,
    int? Metric,
    IPAddress? PreferredSource)
{
    /// <summary>RT_TABLE_MAIN, uapi/linux/rtnetlink.h.</summary>
    public const int MainTable = 254;

    public override string ToString() =>
        $"{Destination}{(Gateway is null ? "" : $" via {Gateway}")}{(OutputIndex is null ? "" : $" dev {OutputIndex}")} scope {Scope}";
}
