using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Membrane.Datapath.Packets;
using Membrane.Testing;

namespace Membrane.Cli.Tests.Agent;

/// <summary>
/// An endpoint must not pass as another (docs/datapath.md §2 step 3a): b accepts UDP 5000 from a only, and c tries to
/// send as a, over IPv4 and IPv6, from a raw socket (a forged header) and from a's address added to its own
/// interface. Each attempt is dropped as it leaves c, reported by the monitor as c's invalid source, and never reaches
/// b; a's own datagrams do. Real agent, real packets.
/// </summary>
[Collection(AgentProcessCollection.Name)]
public sealed class AgentSourceAddressTests : IDisposable
{
    private const string OnlyAMaySendToB = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: b, namespace: default}
        spec:
          endpointSelector: {matchLabels: {app: b}}
          ingress:
          - fromEndpoints: [{matchLabels: {app: a}}]
            toPorts: [{ports: [{port: "5000", protocol: UDP}]}]
        """;

    private readonly AgentProcess _agent = new("sip");

    [Fact]
    public async Task A_datagram_forged_with_another_endpoints_source_is_dropped_as_it_leaves_over_IPv4_and_IPv6()
    {
        var (a, b, c, monitor) = await StartAsync();
        using var _ = monitor;

        foreach (var ipv6 in new[] { false, true })
        {
            // a's own datagram arrives: the policy and the path work.
            Assert.True(await ArrivesAsync(b, ipv6, () => SendUdp(a, a.Address(ipv6), b.Address(ipv6), "from a")), $"a's datagram to b ({Family(ipv6)})");

            // c forges a's source in the IP header itself.
            var mark = monitor.Mark;
            var forged = PacketBuilder.Between(a.Address(ipv6), b.Address(ipv6)).Udp(40001, 5000).Payload("forged by c"u8.ToArray()).BuildIp();
            Assert.False(await ArrivesAsync(b, ipv6, () => SendRaw(c, forged, b.Address(ipv6), ipv6)), $"c's datagram forged as a reached b ({Family(ipv6)})");
            var drop = await monitor.WaitForAsync(mark, f => InvalidSource(f, a.Address(ipv6), b.Address(ipv6)), TimeSpan.FromSeconds(3));
            Assert.True(drop is not null, $"no invalid-source drop for c's forged datagram ({Family(ipv6)}); monitor:\n{monitor.Describe(mark)}");

            // The drop is c's, leaving c: the monitor credits it to c, never to a.
            Assert.Equal(c.Name, drop.Value.GetProperty("source").GetProperty("pod_name").GetString());
            Assert.Equal("EGRESS", drop.Value.GetProperty("traffic_direction").GetString());
        }

        var status = JsonDocument.Parse(_agent.CliOk("status", "-o", "json")).RootElement;
        Assert.True(status.GetProperty("drops").GetProperty("invalid_source_ip").GetInt64() >= 2, status.ToString());
        var metrics = await _agent.ScrapeAsync(TestContext.Current.CancellationToken);
        Assert.Matches(@"membrane_datapath_drops_total\{reason=""invalid_source_ip""\} [2-9]", metrics);
    }

    [Fact]
    public async Task An_endpoint_that_adds_another_endpoints_address_to_its_own_interface_cannot_send_from_it()
    {
        var (a, b, c, monitor) = await StartAsync();
        using var _ = monitor;

        // c resolves its gateway first, from its own addresses: a neighbour solicitation from a borrowed global address
        // is itself no neighbour discovery leaving c (it is dropped as a forged source), so c could not even resolve it.
        Assert.True((await EndpointTraffic.PingEventuallyAsync(c.Name, a.IPv4, 3)).Replied, "c pings a over IPv4");
        Assert.True((await EndpointTraffic.PingEventuallyAsync(c.Name, a.IPv6, 3)).Replied, "c pings a over IPv6");

        // Inside c's namespace: ip addr add A/32 dev eth0, and the same for IPv6 (without duplicate address detection,
        // so the address is usable at once).
        Command.Check("ip", "-n", c.Name, "addr", "add", $"{a.IPv4}/32", "dev", "eth0");
        Command.Check("ip", "-n", c.Name, "-6", "addr", "add", $"{a.IPv6}/128", "dev", "eth0", "nodad");
        foreach (var ipv6 in new[] { false, true })
        {
            var mark = monitor.Mark;
            Assert.False(await ArrivesAsync(b, ipv6, () => SendUdp(c, a.Address(ipv6), b.Address(ipv6), "from c as a")),
                $"c, sending from a's address on its own interface, reached b ({Family(ipv6)})");
            var drop = await monitor.WaitForAsync(mark, f => InvalidSource(f, a.Address(ipv6), b.Address(ipv6)), TimeSpan.FromSeconds(3));
            Assert.True(drop is not null, $"no invalid-source drop ({Family(ipv6)}); monitor:\n{monitor.Describe(mark)}");
            Assert.Equal(c.Name, drop.Value.GetProperty("source").GetProperty("pod_name").GetString());

            // A ping from the borrowed address gets no answer either, while c's own address still works.
            Assert.False((await EndpointTraffic.PingAsync(c.Name, b.Address(ipv6), "-I", a.Address(ipv6))).Replied, $"ping from a's address out of c ({Family(ipv6)})");
        }

        Assert.True((await EndpointTraffic.PingEventuallyAsync(c.Name, a.IPv4, 3, "-I", c.IPv4)).Replied, "c's own address still reaches a");

        // And a itself is unaffected: its datagrams still arrive.
        Assert.True(await ArrivesAsync(b, ipv6: false, () => SendUdp(a, a.IPv4, b.IPv4, "from a")), "a's own datagram to b");
    }

    /// <summary>
    /// Neighbour discovery passes before the source check, but leaving an endpoint only from a source it may use on its
    /// link: c's neighbour solicitation forged with a's global address, sent to b, would be forwarded by the node with
    /// its hop limit lowered and judged at b as a's. It is dropped as it leaves c instead.
    /// </summary>
    [Fact]
    public async Task A_neighbour_solicitation_forged_with_another_endpoints_source_is_dropped_as_it_leaves()
    {
        var (a, b, c, monitor) = await StartAsync();
        using var _ = monitor;
        var target = System.Net.IPAddress.Parse(b.IPv6).GetAddressBytes();
        var solicitation = PacketBuilder.Between(a.IPv6, b.IPv6).HopLimit(255).Icmp(135, 0).Payload(target).BuildIp();
        using var listener = EndpointTraffic.InNamespace(b.Name, () =>
        {
            var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Raw, ProtocolType.IcmpV6);
            socket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
            return socket;
        });
        var mark = monitor.Mark;
        SendRaw(c, solicitation, b.IPv6, ipv6: true);
        var arrived = await ReceivesAsync(listener, 135, IPAddress.Parse(a.IPv6));
        Assert.False(arrived, "c's neighbour solicitation forged as a reached b");
        var drop = await monitor.WaitForAsync(mark, f => InvalidSource(f, a.IPv6, b.IPv6), TimeSpan.FromSeconds(3));
        Assert.True(drop is not null, $"no invalid-source drop for the forged solicitation; monitor:\n{monitor.Describe(mark)}");
        Assert.Equal(c.Name, drop.Value.GetProperty("source").GetProperty("pod_name").GetString());

        // And neighbour discovery itself still works: c reaches b over IPv6 after its neighbour caches are flushed.
        Command.Check("ip", "-n", c.Name, "-6", "neigh", "flush", "all");
        Assert.True((await EndpointTraffic.PingEventuallyAsync(c.Name, a.IPv6, 3)).Replied, "c pings a over IPv6 after a flush");
    }

    /// <summary>
    /// Neighbour discovery passes without policy only on the endpoint's link: a solicitation from c's own address to a's
    /// global address would be forwarded by the node with its hop limit lowered, past c's egress policy, which denies a.
    /// It goes to that policy instead, and is dropped.
    /// </summary>
    [Fact]
    public async Task Neighbour_discovery_to_an_address_beyond_the_link_goes_to_the_egress_policy()
    {
        var (a, _, c, monitor) = await StartAsync();
        using var _ = monitor;
        Assert.Equal(0, _agent.Import("c", """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: c, namespace: default}
            spec:
              endpointSelector: {matchLabels: {app: c}}
              egressDeny:
              - toEndpoints: [{matchLabels: {app: a}}]
            """).Code);
        var solicitation = PacketBuilder.Between(c.IPv6, a.IPv6).HopLimit(255).Icmp(135, 0).Payload(IPAddress.Parse(a.IPv6).GetAddressBytes()).BuildIp();
        using var listener = EndpointTraffic.InNamespace(a.Name, () =>
        {
            var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Raw, ProtocolType.IcmpV6);
            socket.Bind(new IPEndPoint(IPAddress.IPv6Any, 0));
            return socket;
        });
        var mark = monitor.Mark;
        SendRaw(c, solicitation, a.IPv6, ipv6: true);
        Assert.False(await ReceivesAsync(listener, 135, IPAddress.Parse(c.IPv6)), "c's solicitation reached a past c's egress deny");
        Assert.NotNull(await monitor.WaitForAsync(mark, f => f.TryGetProperty("drop_reason_desc", out var r) && r.GetString() == "POLICY_DENIED" &&
            f.GetProperty("traffic_direction").GetString() == "EGRESS" && f.GetProperty("IP").GetProperty("destination").GetString() == a.IPv6, TimeSpan.FromSeconds(3)));
    }

    /// <summary>Whether an ICMPv6 message of <paramref name="type"/> from <paramref name="source"/> reaches a raw socket within 1.5 s.</summary>
    private static async Task<bool> ReceivesAsync(Socket listener, byte type, IPAddress source)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));
        var buffer = new byte[1500];
        try
        {
            while (true)
            {
                var received = await listener.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.IPv6Any, 0), timeout.Token);
                if (buffer[0] == type && ((IPEndPoint)received.RemoteEndPoint).Address.Equals(source))
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>An agent with endpoints a, b and c, b accepting UDP 5000 from a alone, and a monitor.</summary>
    private async Task<(AgentEndpoint A, AgentEndpoint B, AgentEndpoint C, MonitorRecorder Monitor)> StartAsync()
    {
        Root.Require();
        await _agent.StartAsync();
        var a = _agent.CreateEndpoint(_agent.EndpointName("a"), "k8s:app=a");
        var b = _agent.CreateEndpoint(_agent.EndpointName("b"), "k8s:app=b");
        var c = _agent.CreateEndpoint(_agent.EndpointName("c"), "k8s:app=c");
        var monitor = await MonitorRecorder.StartAsync(_agent);
        Assert.Equal(0, _agent.Import("b", OnlyAMaySendToB).Code);
        return (a, b, c, monitor);
    }

    /// <summary>Whether a datagram reaches b's listener on port 5000 within 1.5 s of <paramref name="send"/>.</summary>
    private static async Task<bool> ArrivesAsync(AgentEndpoint b, bool ipv6, Action send)
    {
        var address = IPAddress.Parse(b.Address(ipv6));
        using var listener = EndpointTraffic.InNamespace(b.Name, () =>
        {
            var socket = new Socket(address.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(address, 5000));
            return socket;
        });
        send();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));
        try
        {
            await listener.ReceiveAsync(new byte[256], timeout.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>One UDP datagram from a socket in <paramref name="from"/> bound to <paramref name="source"/>.</summary>
    private static void SendUdp(AgentEndpoint from, string source, string destination, string text)
    {
        var (src, dst) = (IPAddress.Parse(source), IPAddress.Parse(destination));
        using var socket = EndpointTraffic.InNamespace(from.Name, () =>
        {
            var s = new Socket(src.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            s.Bind(new IPEndPoint(src, 0));
            return s;
        });
        socket.SendTo(System.Text.Encoding.ASCII.GetBytes(text), new IPEndPoint(dst, 5000));
    }

    /// <summary>
    /// A whole IP packet, header included, sent from inside <paramref name="from"/> through a raw socket of protocol
    /// IPPROTO_RAW, which implies IP_HDRINCL for IPv4 and IPv6 alike (raw(7), raw.c and ipv6/af_inet6.c): the kernel
    /// sends the header as written, source address and all.
    /// </summary>
    private static void SendRaw(AgentEndpoint from, byte[] packet, string destination, bool ipv6)
    {
        var family = ipv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork;
        using var socket = EndpointTraffic.InNamespace(from.Name, () => new Socket(family, SocketType.Raw, ProtocolType.Raw));
        socket.SendTo(packet, new IPEndPoint(IPAddress.Parse(destination), 0));
    }

    private static bool InvalidSource(JsonElement flow, string source, string destination) =>
        flow.TryGetProperty("drop_reason_desc", out var reason) && reason.GetString() == "INVALID_SOURCE_IP" &&
        flow.TryGetProperty("IP", out var ip) && ip.GetProperty("source").GetString() == source && ip.GetProperty("destination").GetString() == destination;

    private static string Family(bool ipv6) => ipv6 ? "IPv6" : "IPv4";

    public void Dispose() => _agent.Dispose();
}
