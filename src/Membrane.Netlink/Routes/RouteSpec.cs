using System.Net;

namespace Membrane.Netlink.Routes;

/// <summary>
/// A route to add or delete: a destination reached through <see cref="Gateway"/>, out of the device
/// <see cref="OutputIndex"/>, or both. As in iproute2, the scope defaults to <see cref="RouteScope.Link"/> without a
/// gateway and to <see cref="RouteScope.Universe"/> with one; a gateway route needs the gateway to be reachable by a
/// link-scope route already (net/ipv4/fib_semantics.c <c>fib_check_nh</c>).
/// </summary>
public sealed record RouteSpec(IPNetwork Destination)
{
    public IPAddress? Gateway { get; init; }

    public int? OutputIndex { get; init; }

    public RouteScope? Scope { get; init; }

    /// <summary>The routing table; RT_TABLE_MAIN (254) is the one <c>ip route</c> shows.</summary>
    public int Table { get; init; } = Route.MainTable;

    /// <summary>
    /// RTPROT_*, who installed the route; null is RTPROT_BOOT (3), what <c>ip route add</c> sets. A daemon marks its routes
    /// with a number of its own so that it finds them again after a restart (<c>ip route show proto N</c>).
    /// </summary>
    public byte? Protocol { get; init; }

    /// <summary>RTA_PRIORITY, the metric; null leaves it to the kernel (0 for IPv4, 1024 for IPv6).</summary>
    public int? Metric { get; init; }

    /// <summary>The route as <c>ip route</c> would be told it: <c>10.0.0.0/24 via 10.0.0.1 dev ifindex 4</c>.</summary>
    internal string Describe(string? device) =>
        $"{Destination}{(Gateway is null ? "" : $" via {Gateway}")}{(device is null ? "" : $" dev {device}")}";
}
