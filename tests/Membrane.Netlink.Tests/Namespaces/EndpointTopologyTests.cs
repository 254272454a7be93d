using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Membrane.Netlink.Addresses;
using Membrane.Netlink.Namespaces;
using Membrane.Netlink.Routes;
using Membrane.Netlink.Tests.Support;

namespace Membrane.Netlink.Tests.Namespaces;

/// <summary>
/// The shape Membrane gives endpoints, built through the library alone: a node namespace routes between two endpoint
/// namespaces, each joined to it by a veth pair whose endpoint end was created straight inside the endpoint. IPv4 uses
/// /32 addresses with a link-scope device route to the gateway and a gateway route behind it; IPv6 uses an on-link
/// /64 per pair and a gateway route. Then real ping and ping -6 cross the node, and iproute2's JSON view of every
/// namespace agrees with what the library lists.
/// </summary>
[Collection(NetlinkKernelCollection.Name)]
public sealed class EndpointTopologyTests
{
    [Fact]
    public void Two_endpoints_and_a_node_built_by_the_library_ping_each_other_over_IPv4_and_IPv6()
    {
        Root.Require();
        using var namespaces = new TestNamespaces();
        var node = namespaces.Create("N");
        var first = namespaces.Create("A");
        var second = namespaces.Create("B");
        var s = TestNames.SubnetOctet();
        var plan = new[]
        {
            new Endpoint(first, TestNames.Unique("h"), TestNames.Unique("e"), $"10.231.{s}.1", $"10.231.{s}.253", $"fd00:231:{s:x}:1::1", $"fd00:231:{s:x}:1::fe"),
            new Endpoint(second, TestNames.Unique("h"), TestNames.Unique("e"), $"10.231.{s}.2", $"10.231.{s}.254", $"fd00:231:{s:x}:2::1", $"fd00:231:{s:x}:2::fe"),
        };

        using (var nodeLinks = Rtnetlink.Open(node))
        {
            foreach (var endpoint in plan)
            {
                nodeLinks.CreateVethPair(endpoint.HostSide, endpoint.EndpointSide, endpoint.Namespace);
                var host = nodeLinks.GetLink(endpoint.HostSide);
                nodeLinks.AddAddress(host.Index, IPAddress.Parse(endpoint.Gateway4), 32);
                nodeLinks.AddAddress(host.Index, IPAddress.Parse(endpoint.Gateway6), 64, AddressOptions.NoDuplicateAddressDetection);
                nodeLinks.SetLinkUp(endpoint.HostSide);
                nodeLinks.AddRoute(new RouteSpec(IPNetwork.Parse($"{endpoint.Address4}/32")) { OutputIndex = host.Index });
                Assert.Null(nodeLinks.FindLink(endpoint.EndpointSide)); // the peer went straight into the endpoint
            }
        }

        // Forwarding is per namespace: /proc/sys/net resolves to the namespace of the thread that opens it.
        node.Run(() =>
        {
            File.WriteAllText("/proc/sys/net/ipv4/ip_forward", "1");
            File.WriteAllText("/proc/sys/net/ipv6/conf/all/forwarding", "1");
        });

        foreach (var endpoint in plan)
        {
            using var links = Rtnetlink.Open(endpoint.Namespace);
            var device = links.GetLink(endpoint.EndpointSide);
            Assert.Equal("veth", device.Kind);
            links.AddAddress(device.Index, IPAddress.Parse(endpoint.Address4), 32);
            links.AddAddress(device.Index, IPAddress.Parse(endpoint.Address6), 64, AddressOptions.NoDuplicateAddressDetection);
            links.SetLinkUp(endpoint.EndpointSide);
            links.AddRoute(new RouteSpec(IPNetwork.Parse($"{endpoint.Gateway4}/32")) { OutputIndex = device.Index, Scope = RouteScope.Link });
            links.AddRoute(new RouteSpec(IPNetwork.Parse($"10.231.{s}.0/24")) { Gateway = IPAddress.Parse(endpoint.Gateway4) });
            links.AddRoute(new RouteSpec(IPNetwork.Parse($"fd00:231:{s:x}::/48")) { Gateway = IPAddress.Parse(endpoint.Gateway6) });
        }

        Assert.True(Command.PingEventually(first.Name!, plan[1].Address4), "ping from A to B over IPv4 should pass through the node");
        Assert.True(Command.PingEventually(second.Name!, plan[0].Address4), "ping from B to A over IPv4");
        Assert.True(Command.PingEventually(first.Name!, plan[1].Address6), "ping -6 from A to B should pass through the node");
        Assert.True(Command.PingEventually(second.Name!, plan[0].Address6), "ping -6 from B to A");

        foreach (var networkNamespace in new[] { node, first, second })
        {
            AgreeWithIproute2(networkNamespace);
        }

        // The node learned both endpoints' link-layer addresses from the pings, and flushing forgets them.
        using (var nodeLinks = Rtnetlink.Open(node))
        {
            var host = nodeLinks.GetLink(plan[0].HostSide);
            var learned = nodeLinks.ListNeighbours(host.Index, AddressFamily.InterNetwork);
            Assert.Contains(learned, neighbour => neighbour.Address.Equals(IPAddress.Parse(plan[0].Address4)));
            Assert.True(nodeLinks.FlushNeighbours(host.Index, AddressFamily.InterNetwork) >= 1);
            Assert.DoesNotContain(nodeLinks.ListNeighbours(host.Index, AddressFamily.InterNetwork),
                neighbour => neighbour.Address.Equals(IPAddress.Parse(plan[0].Address4)));
        }
    }

    /// <summary><c>ip -j link</c>, <c>ip -j addr</c> and <c>ip -j route</c> (both families) hold exactly what the
    /// library lists for the namespace.</summary>
    private static void AgreeWithIproute2(NetworkNamespace networkNamespace)
    {
        using var links = Rtnetlink.Open(networkNamespace);
        var name = networkNamespace.Name!;

        var ipLinks = Command.IpJson(name, "link", "show").EnumerateArray()
            .Select(link => (Index: link.GetProperty("ifindex").GetInt32(), Name: link.GetProperty("ifname").GetString(),
                Mtu: link.GetProperty("mtu").GetInt32(), Mac: link.TryGetProperty("address", out var mac) ? mac.GetString() : null,
                State: link.GetProperty("operstate").GetString()))
            .OrderBy(link => link.Index).ToList();
        var ourLinks = links.ListLinks()
            .Select(link => (link.Index, (string?)link.Name, link.Mtu,
                link.MacAddress is { } mac ? string.Join(':', mac.GetAddressBytes().Select(octet => octet.ToString("x2"))) : null,
                (string?)link.OperationalState))
            .OrderBy(link => link.Index).ToList();
        Assert.Equal(ipLinks, ourLinks);

        var ipAddresses = Command.IpJson(name, "addr", "show").EnumerateArray()
            .SelectMany(link => link.GetProperty("addr_info").EnumerateArray()
                .Select(address => $"{link.GetProperty("ifindex").GetInt32()} {address.GetProperty("local").GetString()}/{address.GetProperty("prefixlen").GetInt32()}"))
            .Order().ToList();
        var ourAddresses = links.ListAddresses().Select(address => $"{address.Index} {address.Address}/{address.PrefixLength}").Order().ToList();
        Assert.Equal(ipAddresses, ourAddresses);

        foreach (var (flag, family) in new[] { ("-4", AddressFamily.InterNetwork), ("-6", AddressFamily.InterNetworkV6) })
        {
            var ipRoutes = Command.IpJson(name, flag, "route", "show", "table", "main").EnumerateArray()
                .Select(route => $"{Destination(route.GetProperty("dst").GetString()!, family)} via {(route.TryGetProperty("gateway", out var gateway) ? gateway.GetString() : "-")} dev {route.GetProperty("dev").GetString()}")
                .Order().ToList();
            var names = links.ListLinks().ToDictionary(link => link.Index, link => link.Name);
            var ourRoutes = links.ListRoutes(family)
                .Select(route => $"{route.Destination} via {route.Gateway?.ToString() ?? "-"} dev {(route.OutputIndex is { } index ? names[index] : "-")}")
                .Order().ToList();
            Assert.Equal(ipRoutes, ourRoutes);
        }
    }

    /// <summary>iproute2 prints a host route without its length and the default route as "default".</summary>
    private static string Destination(string destination, AddressFamily family) => destination switch
    {
        "default" => family == AddressFamily.InterNetwork ? "0.0.0.0/0" : "::/0",
        _ when destination.Contains('/') => destination,
        _ => $"{destination}/{(family == AddressFamily.InterNetwork ? 32 : 128)}",
    };

    private sealed record Endpoint(
        NetworkNamespace Namespace, string HostSide, string EndpointSide, string Address4, string Gateway4, string Address6, string Gateway6);
}
