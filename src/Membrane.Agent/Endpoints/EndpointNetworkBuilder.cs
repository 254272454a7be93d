using System.Net;
using Membrane.Agent.Addressing;
using Membrane.Netlink;
using Membrane.Netlink.Addresses;
using Membrane.Netlink.Namespaces;
using Membrane.Netlink.Routes;

namespace Membrane.Agent.Endpoints;

/// <summary>
/// Makes and removes endpoint networks in the node's namespace, through Membrane.Netlink (never by running ip), in
/// the shape of ARCHITECTURE.md: a veth pair whose endpoint end is created straight inside the endpoint's namespace as
/// eth0; a /32 and a /128 on eth0 (no DAD: the address is the endpoint's alone, and is usable at once); a link route to
/// the node's IPv4 gateway and default routes through it and through the host side's link-local fe80::1; and on the
/// node a host route per address onto the host-side veth. A failure part way undoes everything made so far, in
/// reverse order, and reports the first error.
/// </summary>
public sealed class EndpointNetworkBuilder(NetworkNamespace node, string nodeName, AddressPool ipv4, AddressPool ipv6)
{
    /// <summary>The host side's IPv6 link-local address, the same on every host-side veth (a link-local address is per link).</summary>
    public static readonly IPAddress LinkLocalGateway = IPAddress.Parse("fe80::1");

    public const string EndpointInterface = "eth0";

    /// <summary>
    /// Creates the network of endpoint <paramref name="name"/>: a new namespace of that name, or
    /// <paramref name="adoptNamespace"/>, an existing named namespace that stays when the endpoint is deleted. A new
    /// namespace is made unnamed first and <paramref name="namespaceMade"/> is told its inode before it is named, so
    /// that the caller can record it: a process killed before that leaves no namespace (an unnamed one goes with its
    /// last descriptor), and one killed after has recorded which namespace is its own. <paramref name="beforeUp"/> is
    /// given the host-side interface's name once the veth pair exists, before either end has an address, a route or is
    /// up: what the caller attaches there filters the endpoint's very first packet (an adopted namespace's processes may
    /// be sending already).
    /// </summary>
    public EndpointNetwork Create(string name, string? adoptNamespace = null, Action<ulong>? namespaceMade = null, Action<string>? beforeUp = null)
    {
        EndpointName.Check(name);
        var undo = new Stack<(string What, Action Action)>();
        try
        {
            NetworkNamespace endpointNamespace;
            var namespaceName = adoptNamespace ?? name;
            if (adoptNamespace is null)
            {
                using (var unnamed = NetworkNamespace.CreateUnnamed())
                {
                    namespaceMade?.Invoke(unnamed.Inode);
                    endpointNamespace = unnamed.Bind(name);
                }

                undo.Push(($"delete namespace {name}", () => NetworkNamespace.Delete(name)));
            }
            else
            {
                endpointNamespace = NetworkNamespace.Open(adoptNamespace);
            }

            using (endpointNamespace)
            {
                var address4 = ipv4.Allocate();
                undo.Push(($"release {address4}", () => ipv4.Release(address4)));
                var address6 = ipv6.Allocate();
                undo.Push(($"release {address6}", () => ipv6.Release(address6)));

                var host = HostInterfaceName.For(nodeName, name);
                int hostIndex;
                using (var links = Rtnetlink.Open(node))
                {
                    links.CreateVethPair(host, EndpointInterface, endpointNamespace);
                    undo.Push(($"delete link {host}", () => DeleteHostLink(host)));
                    hostIndex = links.GetLink(host).Index;
                    beforeUp?.Invoke(host);
                    links.AddAddress(hostIndex, ipv4.Gateway, 32);
                    links.AddAddress(hostIndex, LinkLocalGateway, 64, AddressOptions.NoDuplicateAddressDetection);
                    links.SetLinkUp(host);
                    links.AddRoute(new RouteSpec(new IPNetwork(address4, 32)) { OutputIndex = hostIndex });
                    links.AddRoute(new RouteSpec(new IPNetwork(address6, 128)) { OutputIndex = hostIndex });
                }

                using (var links = Rtnetlink.Open(endpointNamespace))
                {
                    var device = links.GetLink(EndpointInterface).Index;
                    links.AddAddress(device, address4, 32);
                    links.AddAddress(device, address6, 128, AddressOptions.NoDuplicateAddressDetection);
                    links.SetLinkUp("lo");
                    links.SetLinkUp(EndpointInterface);
                    links.AddRoute(new RouteSpec(new IPNetwork(ipv4.Gateway, 32)) { OutputIndex = device, Scope = RouteScope.Link });
                    links.AddRoute(new RouteSpec(new IPNetwork(IPAddress.Any, 0)) { Gateway = ipv4.Gateway });
                    links.AddRoute(new RouteSpec(new IPNetwork(IPAddress.IPv6Any, 0)) { Gateway = LinkLocalGateway, OutputIndex = device });
                }

                return new EndpointNetwork(name, namespaceName, adoptNamespace is not null, host, hostIndex, EndpointInterface, address4, address6);
            }
        }
        catch (Exception failure)
        {
            var leftovers = new List<string>();
            while (undo.TryPop(out var step))
            {
                try
                {
                    step.Action();
                }
                catch (Exception undoFailure)
                {
                    leftovers.Add($"{step.What}: {undoFailure.Message}");
                }
            }

            if (leftovers.Count > 0)
            {
                throw new InvalidOperationException(
                    $"creating endpoint {name} failed ({failure.Message}), and undoing it left something behind: {string.Join("; ", leftovers)}", failure);
            }

            throw;
        }
    }

    /// <summary>
    /// Removes what <see cref="Create"/> made: the host-side veth (its peer goes with it, and the node's routes with
    /// the link), the namespace unless it was adopted, and the addresses back to their pools. Parts already gone are
    /// not errors, so a delete after a crash half way completes. With <paramref name="namespaceInode"/>, the namespace
    /// is removed only when it is still that one: a namespace of the same name made since (by someone else) stays, and
    /// the returned text says so.
    /// </summary>
    public string? Delete(EndpointNetwork network, ulong? namespaceInode = null)
    {
        DeleteHostLink(network.HostInterface);
        return ReleaseRest(network, namespaceInode);
    }

    /// <summary>
    /// Deletes the namespace the agent made for the endpoint (only when it is still that one: a namespace of the same
    /// name made since, by someone else, stays, and the text says so), and gives the addresses back to their pools.
    /// </summary>
    private string? ReleaseRest(EndpointNetwork network, ulong? namespaceInode)
    {
        var left = DeleteOwnNamespace(network, namespaceInode);
        ReleaseAddresses(network);
        return left;
    }

    private static string? DeleteOwnNamespace(EndpointNetwork network, ulong? namespaceInode)
    {
        if (!network.AdoptedNamespace && NetworkNamespace.Exists(network.NetworkNamespace))
        {
            if (namespaceInode is { } inode && NetworkNamespace.InodeOfName(network.NetworkNamespace) != inode)
            {
                return $"the network namespace {network.NetworkNamespace} is not the one made for the endpoint (it was replaced since), so it stays";
            }

            NetworkNamespace.Delete(network.NetworkNamespace);
        }

        return null;
    }

    /// <summary>Gives an endpoint's addresses back to their pools: only once nothing routes to them any more.</summary>
    public void ReleaseAddresses(EndpointNetwork network)
    {
        ipv4.Release(network.IPv4);
        ipv6.Release(network.IPv6);
    }

    /// <summary>
    /// Takes an endpoint's network out of use without waiting for the kernel: the namespace the agent made is deleted
    /// (the kernel tears it down later, in batches, and the veth pair with it). Nothing here takes the kernel's RTNL
    /// lock, which that teardown holds while it waits out two RCU grace periods per veth (one per tcx link): setting
    /// the veth down, as this did before, made back-to-back deletes wait for each other's teardown (docs/performance.md).
    /// The caller has removed the endpoint's configuration first, so its programs, still attached, drop everything it
    /// sends or is sent (unknown endpoint) until the veth is gone. The addresses stay taken until then
    /// (<see cref="ReleaseAddresses"/>): the node's routes to them go with the veth. Returns the host veth's index for
    /// <see cref="RemoveRetired"/>. An adopted namespace outlives the endpoint, so its veth is deleted here, as
    /// <see cref="Delete"/> does, the addresses are released, and null is returned. The text is as <see cref="Delete"/>'s.
    /// </summary>
    public (int? HostIndex, string? Left) Retire(EndpointNetwork network, ulong? namespaceInode = null) =>
        network.AdoptedNamespace ? (null, Delete(network, namespaceInode)) : (network.HostIndex, DeleteOwnNamespace(network, namespaceInode));

    /// <summary>
    /// Waits, up to <paramref name="patience"/>, for the kernel to remove a retired endpoint's host veth with its
    /// namespace; deletes it when it is still there (a process kept the namespace alive). True when it is gone.
    /// Blocking: each look at the link (RTM_GETLINK) waits for the kernel's RTNL lock, which the namespace teardown
    /// holds for tens of milliseconds, so the caller runs this on a thread of its own, never the thread pool's (whose
    /// few threads on a small machine also answer the API).
    /// </summary>
    public bool RemoveRetired(string hostInterface, int hostIndex, TimeSpan patience)
    {
        var deadline = DateTime.UtcNow + patience;
        while (true)
        {
            using var links = Rtnetlink.Open(node);
            var link = links.FindLink(hostInterface);
            if (link is null || link.Index != hostIndex)
            {
                return true;
            }

            if (DateTime.UtcNow >= deadline)
            {
                links.DeleteLink(hostInterface);
                return links.FindLink(hostInterface) is null;
            }

            Thread.Sleep(20);
        }
    }

    /// <summary>Marks a restored endpoint's addresses taken, so they are not handed out again.</summary>
    public void Restore(EndpointNetwork network)
    {
        ipv4.TryReserve(network.IPv4);
        ipv6.TryReserve(network.IPv6);
    }

    /// <summary>Marks one address taken (one the kernel still routes to an endpoint the agent does not know); false when outside the pools.</summary>
    public bool Reserve(IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? ipv4.TryReserve(address) : ipv6.TryReserve(address);

    /// <summary>Turns on forwarding in the node, which routes between endpoints; /proc/sys/net is per namespace.</summary>
    public void EnableForwarding() => node.Run(() =>
    {
        File.WriteAllText("/proc/sys/net/ipv4/ip_forward", "1");
        File.WriteAllText("/proc/sys/net/ipv6/conf/all/forwarding", "1");
    });

    private void DeleteHostLink(string host)
    {
        using var links = Rtnetlink.Open(node);
        if (links.FindLink(host) is not null)
        {
            links.DeleteLink(host);
        }
    }
}
