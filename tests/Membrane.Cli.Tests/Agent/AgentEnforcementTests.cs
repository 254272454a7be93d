using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Membrane.Datapath.Packets;
using Membrane.Testing;

namespace Membrane.Cli.Tests.Agent;

/// <summary>
/// The cases of the enforcement matrix that need more than a flow and a verdict (Scenarios/*.yaml has those):
/// neighbour discovery after a flush under a strict policy, real and spoofed ICMP errors, and a policy deleted
/// while a ping and a TCP connection are running. Each runs a real agent of its own and checks the traffic and
/// the monitor.
/// </summary>
[Collection(AgentProcessCollection.Name)]
public sealed class AgentEnforcementTests
{
    /// <summary>Both endpoints default-deny in both directions; the client may ping the server over IPv6, nothing else.</summary>
    private const string StrictIPv6Ping = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: server, namespace: default}
        spec:
          endpointSelector: {matchLabels: {app: db}}
          ingress:
          - fromEndpoints: [{matchLabels: {app: web}}]
            icmps: [{fields: [{type: EchoRequest, family: IPv6}]}]
          egress:
          - toEndpoints: [{matchLabels: {app: nobody}}]
        ---
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: client, namespace: default}
        spec:
          endpointSelector: {matchLabels: {app: web}}
          ingress:
          - fromEndpoints: [{matchLabels: {app: nobody}}]
          egress:
          - toEndpoints: [{matchLabels: {app: db}}]
            icmps: [{fields: [{type: EchoRequest, family: IPv6}]}]
        """;

    /// <summary>The client may ping the server; the client's ingress is strict, so an ICMP error reaches it only as related.</summary>
    private const string PingWithStrictClient = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: server, namespace: default}
        spec:
          endpointSelector: {matchLabels: {app: db}}
          ingress:
          - fromEndpoints: [{matchLabels: {app: web}}]
            icmps: [{fields: [{type: EchoRequest, family: IPv4}, {type: EchoRequest, family: IPv6}]}]
        ---
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: client, namespace: default}
        spec:
          endpointSelector: {matchLabels: {app: web}}
          ingress:
          - fromEndpoints: [{matchLabels: {app: nobody}}]
        """;

    [Fact]
    public async Task Neighbour_discovery_keeps_IPv6_working_after_a_flush_under_a_strict_policy()
    {
        Root.Require();
        using var agent = new AgentProcess("nd");
        await agent.StartAsync();
        var client = agent.CreateEndpoint(agent.EndpointName("client"), "k8s:app=web");
        var server = agent.CreateEndpoint(agent.EndpointName("server"), "k8s:app=db");
        var other = agent.CreateEndpoint(agent.EndpointName("other"), "k8s:app=other");
        using var monitor = await MonitorRecorder.StartAsync(agent);
        Assert.Equal(0, agent.Import("strict", StrictIPv6Ping).Code);
        Assert.True((await EndpointTraffic.PingEventuallyAsync(client.Name, server.IPv6, 3)).Replied, "the client may ping the server over IPv6");

        // Forget every link-layer address: the endpoints' (the gateway fe80::1) and the node's (the endpoints').
        foreach (var name in new[] { client.Name, server.Name, agent.Node })
        {
            Command.Check("ip", "-n", name, "neigh", "flush", "all");
        }

        Assert.DoesNotContain(NeighbourStates(agent.Node, server.HostInterface, server.IPv6), s => s is "REACHABLE" or "STALE" or "DELAY" or "PROBE");
        var mark = monitor.Mark;

        // First contact after the flush: one ping, which needs neighbour solicitations and advertisements both ways.
        var (replied, output) = await EndpointTraffic.PingAsync(client.Name, server.IPv6, "-W", "2");
        Assert.True(replied, $"the first IPv6 ping after the flush: {output}\nmonitor:\n{monitor.Describe(mark)}");
        Assert.Contains(NeighbourStates(client.Name, "eth0", "fe80::1"), s => s is "REACHABLE" or "STALE" or "DELAY");
        Assert.Contains(NeighbourStates(server.Name, "eth0", "fe80::1"), s => s is "REACHABLE" or "STALE" or "DELAY");
        Assert.Contains(NeighbourStates(agent.Node, server.HostInterface, server.IPv6), s => s is "REACHABLE" or "STALE" or "DELAY");
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(monitor.Since(mark), f => f.GetProperty("l4").TryGetProperty("ICMPv6", out var icmp) && icmp.GetProperty("type").GetInt32() is >= 133 and <= 137);

        // And what the policy denies stays denied: IPv4 from the client, and IPv6 from another endpoint.
        mark = monitor.Mark;
        Assert.False((await EndpointTraffic.PingAsync(client.Name, server.IPv4)).Replied, "IPv4 ping is not allowed");
        Assert.NotNull(await monitor.WaitForAsync(mark, f => Drop(f, "EGRESS", "ICMPv4", 8, "DENIED_BY_DEFAULT", client.IPv4, server.IPv4), TimeSpan.FromSeconds(3)));
        mark = monitor.Mark;
        Assert.False((await EndpointTraffic.PingAsync(other.Name, server.IPv6)).Replied, "other may not ping the server");
        Assert.NotNull(await monitor.WaitForAsync(mark, f => Drop(f, "INGRESS", "ICMPv6", 128, "DENIED_BY_DEFAULT", other.IPv6, server.IPv6), TimeSpan.FromSeconds(3)));
        mark = monitor.Mark;
        Assert.False((await EndpointTraffic.PingAsync(server.Name, client.IPv6)).Replied, "the server may not ping the client");
        Assert.NotNull(await monitor.WaitForAsync(mark, f => Drop(f, "EGRESS", "ICMPv6", 128, "DENIED_BY_DEFAULT", server.IPv6, client.IPv6), TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public async Task A_real_ICMP_error_about_an_allowed_flow_reaches_the_sender_as_related()
    {
        Root.Require();
        using var agent = new AgentProcess("mtu");
        await agent.StartAsync();
        var client = agent.CreateEndpoint(agent.EndpointName("client"), "k8s:app=web");
        var server = agent.CreateEndpoint(agent.EndpointName("server"), "k8s:app=db");
        using var monitor = await MonitorRecorder.StartAsync(agent);
        Assert.Equal(0, agent.Import("ping", PingWithStrictClient).Code);
        Assert.True((await EndpointTraffic.PingEventuallyAsync(client.Name, server.IPv4, 3)).Replied, "the client may ping the server");
        Assert.True((await EndpointTraffic.PingEventuallyAsync(client.Name, server.IPv6, 3)).Replied, "the client may ping the server over IPv6");
        var strict = monitor.Mark;
        Assert.False((await EndpointTraffic.PingAsync(server.Name, client.IPv4)).Replied, "the client's ingress is strict: the server may not ping it");
        Assert.NotNull(await monitor.WaitForAsync(strict, f => Drop(f, "INGRESS", "ICMPv4", 8, "DENIED_BY_DEFAULT", server.IPv4, client.IPv4), TimeSpan.FromSeconds(3)));

        // The node's link to the server is narrower than the client's: a 1428-byte datagram with DF set cannot pass.
        Command.Check("ip", "-n", agent.Node, "link", "set", "dev", server.HostInterface, "mtu", "1280");
        var mark = monitor.Mark;
        var (_, output4) = await EndpointTraffic.PingAsync(client.Name, server.IPv4, "-M", "do", "-s", "1400");
        Assert.Contains("Frag needed", output4, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("mtu = 1280", output4);
        var (_, output6) = await EndpointTraffic.PingAsync(client.Name, server.IPv6, "-M", "do", "-s", "1400");
        Assert.Contains("Packet too big", output6, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("mtu=1280", output6);

        // The errors passed the client's strict ingress as related (an unrelated one is dropped: see the spoofing
        // test): no drop at all, and the client's kernel learned the path MTU from them.
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.DoesNotContain(monitor.Since(mark), IsDrop);
        Assert.Contains("mtu 1280", Command.Check("ip", "-n", client.Name, "-4", "route", "get", server.IPv4));
        Assert.Contains("mtu 1280", Command.Check("ip", "-n", client.Name, "-6", "route", "get", server.IPv6));
    }

    [Fact]
    public async Task A_spoofed_ICMP_error_for_no_flow_is_dropped_and_one_for_a_tracked_flow_is_related()
    {
        Root.Require();
        using var agent = new AgentProcess("spf");
        await agent.StartAsync();
        var victim = agent.CreateEndpoint(agent.EndpointName("client"), "k8s:app=web");
        var server = agent.CreateEndpoint(agent.EndpointName("server"), "k8s:app=db");
        var attacker = agent.CreateEndpoint(agent.EndpointName("attacker"), "k8s:app=other");
        using var monitor = await MonitorRecorder.StartAsync(agent);
        Assert.Equal(0, agent.Import("ping", PingWithStrictClient).Code);
        Assert.False((await EndpointTraffic.PingAsync(attacker.Name, victim.IPv4)).Replied, "the victim's ingress is strict");

        foreach (var ipv6 in new[] { false, true })
        {
            var (type, code) = ipv6 ? ((byte)2, (byte)0) : ((byte)3, (byte)4); // Packet Too Big; Destination Unreachable, frag-needed
            var protocol = ipv6 ? "ICMPv6" : "ICMPv4";

            // An error about a UDP flow from the victim to the server that never existed: no flow, so policy, and a drop.
            var never = PacketBuilder.Between(victim.Address(ipv6), server.Address(ipv6)).Udp(40404, 9);
            var mark = monitor.Mark;
            var arrived = await SendErrorAsync(attacker, victim, type, code, never, server.Address(ipv6), ipv6);
            Assert.False(arrived, $"a spoofed {protocol} error about no flow reached the victim");
            Assert.NotNull(await monitor.WaitForAsync(mark, f => Drop(f, "INGRESS", protocol, type, "DENIED_BY_DEFAULT", attacker.Address(ipv6), victim.Address(ipv6)), TimeSpan.FromSeconds(3)));

            // The same error about an echo the victim really sent: related, whoever sent it (docs/datapath.md section 4).
            var identifier = (ushort)(ipv6 ? 4646 : 4444);
            Assert.True((await EndpointTraffic.PingEventuallyAsync(victim.Name, server.Address(ipv6), 3, "-e", identifier.ToString(CultureInfo.InvariantCulture))).Replied);
            var tracked = PacketBuilder.Between(victim.Address(ipv6), server.Address(ipv6)).EchoRequest(identifier);
            mark = monitor.Mark;
            Assert.True(await SendErrorAsync(attacker, victim, type, code, tracked, server.Address(ipv6), ipv6),
                $"an {protocol} error about the victim's tracked echo did not arrive; monitor:\n{monitor.Describe(mark)}");
            Assert.DoesNotContain(monitor.Since(mark), IsDrop);
        }
    }

    [Fact]
    public async Task Deleting_the_allow_stops_new_flows_and_established_ones_go_on_as_tracked()
    {
        Root.Require();
        using var agent = new AgentProcess("chg");
        await agent.StartAsync();
        var client = agent.CreateEndpoint(agent.EndpointName("client"), "k8s:app=web");
        var server = agent.CreateEndpoint(agent.EndpointName("server"), "k8s:app=db");
        using var monitor = await MonitorRecorder.StartAsync(agent);
        // "base" keeps the server selected (default deny) once "allow" is gone.
        Assert.Equal(0, agent.Import("policies", """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: base, namespace: default}
            spec:
              endpointSelector: {matchLabels: {app: db}}
              ingress:
              - fromEndpoints: [{matchLabels: {app: nobody}}]
            ---
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: allow, namespace: default}
            spec:
              endpointSelector: {matchLabels: {app: db}}
              ingress:
              - fromEndpoints: [{matchLabels: {app: web}}]
            """).Code);
        Assert.True((await EndpointTraffic.PingEventuallyAsync(client.Name, server.IPv4, 3)).Replied, "the client may ping the server");

        // A TCP connection, established before the change.
        var ip = IPAddress.Parse(server.IPv4);
        using var listener = EndpointTraffic.InNamespace(server.Name, () =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(ip, 8080));
            socket.Listen(1);
            return socket;
        });
        using var tcp = EndpointTraffic.InNamespace(client.Name, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        using (var connect = new CancellationTokenSource(TimeSpan.FromSeconds(3)))
        {
            await tcp.ConnectAsync(new IPEndPoint(ip, 8080), connect.Token);
        }

        using var accepted = await listener.AcceptAsync(TestContext.Current.CancellationToken);
        Assert.True(await RoundTripAsync(tcp, accepted), "the TCP connection carries data before the change");

        // A running ping with a fixed identifier: 5 s at 5 per second, -D stamps each line, -O reports each lost echo.
        var started = DateTime.UtcNow;
        var running = Task.Run(() => Command.Run("ip", "netns", "exec", client.Name, "ping", "-4", "-D", "-O", "-e", "5151", "-i", "0.2", "-c", "25", "-W", "1", server.IPv4));
        await Task.Delay(1500, TestContext.Current.CancellationToken);
        var deletedAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() / 1000.0;
        agent.CliOk("policy", "delete", "allow");

        // New flows are denied at once, and the monitor says why.
        var mark = monitor.Mark;
        Assert.False((await EndpointTraffic.PingAsync(client.Name, server.IPv4)).Replied, "a new ping after the allow was deleted");
        Assert.NotNull(await monitor.WaitForAsync(mark, f => Drop(f, "INGRESS", "ICMPv4", 8, "DENIED_BY_DEFAULT", client.IPv4, server.IPv4), TimeSpan.FromSeconds(3)));
        mark = monitor.Mark;
        Assert.False(await EndpointTraffic.TcpConnectsAsync(client.Name, server.Name, server.IPv4, 8081, TimeSpan.FromSeconds(1.5)), "a new TCP connection after the allow was deleted");
        Assert.NotNull(await monitor.WaitForAsync(mark, f => Drop(f, "INGRESS", "TCP", null, "DENIED_BY_DEFAULT", client.IPv4, server.IPv4), TimeSpan.FromSeconds(3)));

        // Established flows pass before policy is looked at (docs/datapath.md section 2, step 5 before step 7): the
        // running ping's Echo Requests are a tracked flow (forward lookup by identifier, section 4), and so is the
        // TCP connection. Nothing in the agent flushes conntrack when a policy goes.
        Assert.True(await RoundTripAsync(tcp, accepted), "the established TCP connection still carries data after the change");
        var (_, pingOutput) = await running;
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(15));
        var replies = pingOutput.Split('\n').Where(l => l.Contains("bytes from", StringComparison.Ordinal))
            .Select(l => double.Parse(l[(l.IndexOf('[') + 1)..l.IndexOf(']')], CultureInfo.InvariantCulture)).ToList();
        var lost = pingOutput.Split('\n').Count(l => l.Contains("no answer yet", StringComparison.Ordinal));
        Assert.True(replies.Count(t => t > deletedAt + 0.5) >= 10 && lost == 0,
            $"the running ping (identifier 5151) after the delete: {replies.Count(t => t > deletedAt + 0.5)} replies, {lost} lost\n{pingOutput}");
    }

    private static async Task<bool> RoundTripAsync(Socket client, Socket server)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            var buffer = new byte[16];
            await client.SendAsync("hello"u8.ToArray(), timeout.Token);
            var n = await server.ReceiveAsync(buffer, timeout.Token);
            await server.SendAsync(buffer.AsMemory(0, n), timeout.Token);
            return await client.ReceiveAsync(buffer, timeout.Token) == n && n == 5;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            return false;
        }
    }

    /// <summary>
    /// From inside the attacker, a crafted ICMP error to the victim whose body is <paramref name="invoking"/>'s IP
    /// packet, through a raw socket; true when a raw socket in the victim saw it within 1.5 s.
    /// </summary>
    private static async Task<bool> SendErrorAsync(AgentEndpoint attacker, AgentEndpoint victim, byte type, byte code, PacketBuilder invoking, string embeddedDestination, bool ipv6)
    {
        var (family, protocol) = ipv6 ? (AddressFamily.InterNetworkV6, ProtocolType.IcmpV6) : (AddressFamily.InterNetwork, ProtocolType.Icmp);
        var error = PacketBuilder.Between(attacker.Address(ipv6), victim.Address(ipv6)).IcmpError(type, code, invoking, 1280).BuildIp()[(ipv6 ? 40 : 20)..];
        if (ipv6)
        {
            error[2] = error[3] = 0; // the kernel computes an ICMPv6 raw socket's checksum
        }

        using var listener = EndpointTraffic.InNamespace(victim.Name, () => new Socket(family, SocketType.Raw, protocol));
        using var sender = EndpointTraffic.InNamespace(attacker.Name, () => new Socket(family, SocketType.Raw, protocol));
        var victimAddress = IPAddress.Parse(victim.Address(ipv6));
        await sender.SendToAsync(error, new IPEndPoint(victimAddress, 0));
        var embedded = IPAddress.Parse(embeddedDestination).GetAddressBytes();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1.5));
        var buffer = new byte[2048];
        try
        {
            while (true)
            {
                var n = await listener.ReceiveAsync(buffer, timeout.Token);
                // IPv4 raw sockets give the IP header too; ICMPv6 ones start at the ICMPv6 header.
                var icmp = buffer.AsSpan(ipv6 ? 0 : (buffer[0] & 0x0f) * 4, n - (ipv6 ? 0 : (buffer[0] & 0x0f) * 4));
                var destinationAt = 8 + (ipv6 ? 24 : 16);
                if (icmp.Length >= destinationAt + embedded.Length && icmp[0] == type && icmp[1] == code &&
                    icmp.Slice(destinationAt, embedded.Length).SequenceEqual(embedded))
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

    private static IEnumerable<string> NeighbourStates(string networkNamespace, string device, string address) =>
        Command.IpJson(networkNamespace, "-6", "neigh", "show", "dev", device).EnumerateArray()
            .Where(n => n.GetProperty("dst").GetString() == address)
            .SelectMany(n => n.TryGetProperty("state", out var s) ? s.EnumerateArray().Select(x => x.GetString()!) : []);

    private static bool IsDrop(JsonElement flow) => flow.TryGetProperty("verdict", out var v) && v.GetString() == "DROPPED";

    private static bool Drop(JsonElement flow, string direction, string protocol, int? icmpType, string reason, string source, string destination) =>
        IsDrop(flow) && flow.GetProperty("traffic_direction").GetString() == direction &&
        flow.TryGetProperty("drop_reason_desc", out var r) && r.GetString() == reason &&
        flow.TryGetProperty("IP", out var ip) && ip.GetProperty("source").GetString() == source && ip.GetProperty("destination").GetString() == destination &&
        flow.GetProperty("l4").TryGetProperty(protocol, out var l4) && (icmpType is not { } t || l4.GetProperty("type").GetInt32() == t);

}
