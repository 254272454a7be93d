using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Membrane.Netlink;
using Membrane.Netlink.Addresses;
using Membrane.Netlink.Namespaces;
using Membrane.Netlink.Routes;

namespace Membrane.Datapath.Ebpf.Tests.Support;

/// <summary>
/// The shape Membrane gives endpoints (ARCHITECTURE.md, "Node and endpoints"), built through Membrane.Netlink: a node
/// namespace routes between two endpoint namespaces A and B, each joined to it by a veth pair. Each endpoint has a /32
/// and an on-link /64 with routes through the node, so ping, ping -6 and TCP cross the node and a program on a
/// host-side veth sees exactly that endpoint's traffic. Everything is named mbrdp… and uses 10.234.X.0/24 and
/// fd00:234:X::/48, apart from the other test projects; traffic flows only between A and B. Dispose deletes the three
/// namespaces, which destroys the veth pairs with them.
/// </summary>
internal sealed class EndpointPair : IDisposable
{
    private readonly List<NetworkNamespace> _namespaces = [];

    public EndpointPair()
    {
        var s = RandomNumberGenerator.GetInt32(0, 256);
        try
        {
            Node = Create("N");
            A = new Side(Create("A"), Unique("h"), Unique("e"), $"10.234.{s}.1", $"10.234.{s}.253", $"fd00:234:{s:x}:1::1", $"fd00:234:{s:x}:1::fe");
            B = new Side(Create("B"), Unique("h"), Unique("e"), $"10.234.{s}.2", $"10.234.{s}.254", $"fd00:234:{s:x}:2::1", $"fd00:234:{s:x}:2::fe");
            using (var nodeLinks = Rtnetlink.Open(Node))
            {
                foreach (var side in new[] { A, B })
                {
                    nodeLinks.CreateVethPair(side.HostSide, side.EndpointSide, side.Namespace);
                    var host = nodeLinks.GetLink(side.HostSide);
                    side.HostIndex = (uint)host.Index;
                    nodeLinks.AddAddress(host.Index, IPAddress.Parse(side.Gateway4), 32);
                    nodeLinks.AddAddress(host.Index, IPAddress.Parse(side.Gateway6), 64, AddressOptions.NoDuplicateAddressDetection);
                    nodeLinks.SetLinkUp(side.HostSide);
                    nodeLinks.AddRoute(new RouteSpec(IPNetwork.Parse($"{side.Address4}/32")) { OutputIndex = host.Index });
                }
            }

            // Forwarding is per namespace: /proc/sys/net resolves to the namespace of the thread that opens it.
            Node.Run(() =>
            {
                File.WriteAllText("/proc/sys/net/ipv4/ip_forward", "1");
                File.WriteAllText("/proc/sys/net/ipv6/conf/all/forwarding", "1");
            });

            foreach (var side in new[] { A, B })
            {
                using var links = Rtnetlink.Open(side.Namespace);
                var device = links.GetLink(side.EndpointSide);
                links.AddAddress(device.Index, IPAddress.Parse(side.Address4), 32);
                links.AddAddress(device.Index, IPAddress.Parse(side.Address6), 64, AddressOptions.NoDuplicateAddressDetection);
                links.SetLinkUp(side.EndpointSide);
                links.SetLinkUp("lo");
                links.AddRoute(new RouteSpec(IPNetwork.Parse($"{side.Gateway4}/32")) { OutputIndex = device.Index, Scope = RouteScope.Link });
                links.AddRoute(new RouteSpec(IPNetwork.Parse($"10.234.{s}.0/24")) { Gateway = IPAddress.Parse(side.Gateway4) });
                links.AddRoute(new RouteSpec(IPNetwork.Parse($"fd00:234:{s:x}::/48")) { Gateway = IPAddress.Parse(side.Gateway6) });
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public NetworkNamespace Node { get; } = null!;

    public Side A { get; } = null!;

    public Side B { get; } = null!;

    /// <summary>One echo request with a one-second timeout; <paramref name="size"/> is ping's -s.</summary>
    public static bool Ping(Side from, string address, int size = 56) =>
        Command.Run("ip", "netns", "exec", from.Namespace.Name!, "ping", address.Contains(':') ? "-6" : "-4",
            "-c", "1", "-W", "1", "-s", size.ToString(System.Globalization.CultureInfo.InvariantCulture), address).ExitCode == 0;

    /// <summary>Up to five tries: a fresh veth needs a moment, and the first echo waits on ARP or ND.</summary>
    public static bool PingEventually(Side from, string address, int size = 56) => Enumerable.Range(0, 5).Any(_ => Ping(from, address, size));

    /// <summary>
    /// Whether a TCP connection from <paramref name="from"/> to <paramref name="to"/>'s IPv4 address and
    /// <paramref name="port"/> completes within two seconds. The sockets are made on threads inside each namespace
    /// (a socket belongs to the namespace it was created in) and then used from here.
    /// </summary>
    public static bool TcpConnects(Side from, Side to, int port)
    {
        using var listener = to.Namespace.Run(() =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Parse(to.Address4), port));
            socket.Listen(4);
            return socket;
        });
        using var client = from.Namespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            client.ConnectAsync(new IPEndPoint(IPAddress.Parse(to.Address4), port), timeout.Token).AsTask().GetAwaiter().GetResult();
            using var accepted = listener.AcceptAsync(timeout.Token).AsTask().GetAwaiter().GetResult();
            return true;
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException)
        {
            return false;
        }
    }

    /// <summary>Forgets the link-layer addresses the node and both endpoints learned, so the next packet needs ARP or ND.</summary>
    public void FlushNeighbours()
    {
        foreach (var (networkNamespace, device) in new[] { (Node, A.HostSide), (Node, B.HostSide), (A.Namespace, A.EndpointSide), (B.Namespace, B.EndpointSide) })
        {
            using var links = Rtnetlink.Open(networkNamespace);
            var index = links.GetLink(device).Index;
            links.FlushNeighbours(index, AddressFamily.InterNetwork);
            links.FlushNeighbours(index, AddressFamily.InterNetworkV6);
        }
    }

    public void Dispose()
    {
        var failures = new List<Exception>();
        foreach (var networkNamespace in _namespaces)
        {
            try
            {
                networkNamespace.Dispose();
                if (NetworkNamespace.Exists(networkNamespace.Name!))
                {
                    NetworkNamespace.Delete(networkNamespace.Name!);
                }
            }
            catch (Exception exception)
            {
                failures.Add(exception);
            }
        }

        _namespaces.Clear();
        if (failures.Count > 0)
        {
            throw new AggregateException("could not remove the test's network namespaces; remove them with ip netns del", failures);
        }
    }

    private NetworkNamespace Create(string kind)
    {
        var networkNamespace = NetworkNamespace.Create(Unique(kind));
        _namespaces.Add(networkNamespace);
        return networkNamespace;
    }

    private static string Unique(string kind) => $"mbrdp{kind}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";

    /// <summary>One endpoint: its namespace, the two ends of its veth pair, its addresses and its gateways on the node.</summary>
    internal sealed record Side(
        NetworkNamespace Namespace, string HostSide, string EndpointSide, string Address4, string Gateway4, string Address6, string Gateway6)
    {
        /// <summary>The host-side veth's index in the node namespace: the key of the endpoint's configuration.</summary>
        public uint HostIndex { get; set; }
    }
}
