using System.Net;
using System.Net.Sockets;
using Membrane.Netlink;
using Membrane.Netlink.Namespaces;
using Membrane.Netlink.Routes;

namespace Membrane.Agent.Cluster;

/// <summary>
/// Native routing over the underlay: a route to each other node's pod CIDR through that node's underlay address, in the
/// node's namespace, through Membrane.Netlink. The routes carry a protocol number of Membrane's own
/// (<see cref="Protocol"/>), so that a restarted agent finds the ones it made and no other: it removes those that no
/// node needs any more and adds those missing.
/// </summary>
public sealed class NodeRoutes(NetworkNamespace node)
{
    /// <summary>RTPROT value marking Membrane's node routes (<c>ip route show proto 202</c>); rtnetlink.h leaves 200-254 unassigned.</summary>
    public const byte Protocol = 202;

    /// <summary>Brings the node's routes to <paramref name="desired"/>; returns what could not be done, each with why.</summary>
    public IReadOnlyList<string> Reconcile(IReadOnlyCollection<(IPNetwork Cidr, IPAddress Via)> desired)
    {
        var problems = new List<string>();
        using var links = Rtnetlink.Open(node);
        var existing = links.ListRoutes(AddressFamily.InterNetwork).Concat(links.ListRoutes(AddressFamily.InterNetworkV6))
            .Where(r => r.Protocol == Protocol).ToList();
        foreach (var route in existing.Where(r => !desired.Contains((r.Destination, r.Gateway!))))
        {
            try
            {
                links.DeleteRoute(new RouteSpec(route.Destination) { Gateway = route.Gateway, OutputIndex = route.OutputIndex });
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                problems.Add($"removing the route {route.Destination} via {route.Gateway}: {e.Message}");
            }
        }

        foreach (var (cidr, via) in desired.Where(d => !existing.Any(r => r.Destination.Equals(d.Cidr) && Equals(r.Gateway, d.Via))))
        {
            try
            {
                links.AddRoute(new RouteSpec(cidr) { Gateway = via, Protocol = Protocol });
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                problems.Add($"adding the route {cidr} via {via}: {e.Message}");
            }
        }

        return problems;
    }
}
