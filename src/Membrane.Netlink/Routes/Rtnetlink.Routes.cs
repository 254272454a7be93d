using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Membrane.Netlink.Interop;
using Membrane.Netlink.Protocol;
using Membrane.Netlink.Routes;
using static Membrane.Netlink.Interop.Attributes;

namespace Membrane.Netlink;

/// <summary>Routes: RTM_NEWROUTE, RTM_DELROUTE and RTM_GETROUTE (net/ipv4/fib_frontend.c, net/ipv6/route.c).</summary>
public sealed partial class Rtnetlink
{
    // uapi/linux/rtnetlink.h.
    private const byte RTPROT_BOOT = 3;   // what `ip route add` sets: a route added by an administrator
    private const byte RTN_UNICAST = 1;

    public void AddRoute(RouteSpec route)
    {
        ArgumentNullException.ThrowIfNull(route);
        var scope = route.Scope ?? (route.Gateway is null ? RouteScope.Link : RouteScope.Universe);
        BeginRoute(MessageType.NewRoute, route, route.Protocol ?? RTPROT_BOOT, scope, RTN_UNICAST, MessageFlags.Create | MessageFlags.Exclusive);
        ExecuteRoute(route, "add");
    }

    /// <summary>Deletes the route that matches <paramref name="route"/>. Scope NOWHERE, protocol and type 0 match any,
    /// as iproute2 sends for <c>ip route del</c>.</summary>
    public void DeleteRoute(RouteSpec route)
    {
        ArgumentNullException.ThrowIfNull(route);
        BeginRoute(MessageType.DeleteRoute, route, 0, route.Scope ?? RouteScope.Nowhere, 0, 0);
        ExecuteRoute(route, "delete");
    }

    /// <summary>The routes of <paramref name="family"/> in <paramref name="table"/> (the main table by default, as
    /// <c>ip route</c> shows).</summary>
    public IReadOnlyList<Route> ListRoutes(AddressFamily family = AddressFamily.Unspecified, int table = Route.MainTable)
    {
        writer.Begin(MessageType.GetRoute, new RtMsg { Family = FamilyOf(family) });
        var routes = socket.Dump<Route>(writer, "route list", ParseRoute);
        return routes.FindAll(route => route.Table == table);
    }

    private void ExecuteRoute(RouteSpec route, string verb)
    {
        if (route.OutputIndex is { } ifindex)
        {
            ExecuteOnDevice(ifindex, device => $"route {verb} {route.Describe(device)}");
        }
        else
        {
            socket.Execute(writer, $"route {verb} {route.Describe(device: null)}");
        }
    }

    private void BeginRoute(ushort type, RouteSpec route, byte protocol, RouteScope scope, byte routeType, ushort flags)
    {
        if (route.Gateway is null && route.OutputIndex is null)
        {
            throw new ArgumentException($"route {route.Destination} needs a gateway, an output device, or both", nameof(route));
        }

        var family = FamilyOf(route.Destination.BaseAddress);
        if (route.Gateway is { } gateway && FamilyOf(gateway) != family)
        {
            throw new ArgumentException($"route {route.Destination}: gateway {gateway} is of another address family", nameof(route));
        }

        // rtm_table holds tables up to 255; RTA_TABLE carries the full 32-bit id and wins (rtm_get_table).
        var message = new RtMsg
        {
            Family = family,
            DestinationLength = (byte)route.Destination.PrefixLength,
            Table = (byte)Math.Min(route.Table, 255),
            Protocol = protocol,
            Scope = (byte)scope,
            Type = routeType,
        };
        writer.Begin(type, message, flags)
            .Attribute(RTA_TABLE, route.Table)
            .Attribute(RTA_DST, route.Destination.BaseAddress);
        if (route.Gateway is { } via)
        {
            writer.Attribute(RTA_GATEWAY, via);
        }

        if (route.OutputIndex is { } ifindex)
        {
            writer.Attribute(RTA_OIF, ifindex);
        }

        if (route.Metric is { } metric)
        {
            writer.Attribute(RTA_PRIORITY, metric);
        }
    }

    private static bool ParseRoute(ushort type, ReadOnlySpan<byte> payload, out Route route)
    {
        route = null!;
        if (type != MessageType.NewRoute || payload.Length < Marshal.SizeOf<RtMsg>())
        {
            return false;
        }

        var message = MemoryMarshal.Read<RtMsg>(payload);
        if (message.Family is not (Libc.AF_INET or Libc.AF_INET6))
        {
            return false;
        }

        IPAddress? destination = null, gateway = null, source = null;
        int? outputIndex = null, metric = null;
        int table = message.Table;
        var reader = new AttributeReader(payload[NetlinkAlignment.Align(Marshal.SizeOf<RtMsg>())..]);
        while (reader.MoveNext())
        {
            switch (reader.Type)
            {
                case RTA_DST:
                    destination = reader.ValueAsAddress();
                    break;
                case RTA_GATEWAY:
                    gateway = reader.ValueAsAddress();
                    break;
                case RTA_OIF:
                    outputIndex = (int)reader.ValueAsUInt32();
                    break;
                case RTA_PRIORITY:
                    metric = (int)reader.ValueAsUInt32();
                    break;
                case RTA_PREFSRC:
                    source = reader.ValueAsAddress();
                    break;
                case RTA_TABLE:
                    table = (int)reader.ValueAsUInt32();
                    break;
            }
        }

        // No RTA_DST is the default route: 0.0.0.0/0 or ::/0.
        destination ??= message.Family == Libc.AF_INET ? IPAddress.Any : IPAddress.IPv6Any;
        route = new Route(
            new IPNetwork(destination, message.DestinationLength),
            gateway,
            outputIndex,
            (RouteScope)message.Scope,
            table,
            message.Protocol,
            message.Type,
            metric,
            source);
        return true;
    }
}
