using System.Net;
using System.Net.Sockets;
using Membrane.Netlink;
using Membrane.Netlink.Namespaces;
using Membrane.Netlink.Routes;
using Membrane.Testing;

namespace Membrane.Cli.Tests.Agent;

/// <summary>
/// While the kernel moves from one state to the next, no packet may get a verdict that neither gives: real floods
/// through real changes. A peer outside the node's endpoints floods b while its prefix's deny moves from a /24 to a
/// /25 inside it (both deny it); an adopted namespace floods b while it becomes an endpoint b does not accept (it
/// must never pass as world meanwhile); and a new endpoint on a deleted one's address does not inherit its flows.
/// </summary>
[Collection(AgentProcessCollection.Name)]
public sealed class AgentTransitionTests : IDisposable
{
    private readonly AgentProcess _agent = new("trn");

    [Fact]
    public async Task A_peer_denied_before_and_after_a_change_is_never_let_through_while_it_is_made()
    {
        Root.Require();
        await _agent.StartAsync();
        var b = _agent.CreateEndpoint(_agent.EndpointName("b"), "k8s:app=b");
        var outside = AddOutsidePeer("10.239.99.1", "10.239.99.254");

        // b takes UDP 5000 from the world, but not from 10.239.99.0/24; then the deny narrows to the /25 that still
        // holds the peer, and back, while the peer floods b from one socket (one flow: a datagram let through would make
        // it established, and the rest would follow).
        string Policy(string deny) => $$$"""
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: b, namespace: default}
            spec:
              endpointSelector: {matchLabels: {app: b}}
              ingress:
              - fromEntities: [world]
                toPorts: [{ports: [{port: "5000", protocol: UDP}]}]
              ingressDeny:
              - fromCIDR: [{{{deny}}}]
            """;
        Assert.Equal(0, _agent.Import("b", Policy("10.239.99.0/24")).Code);
        var (sent, received, errors) = await FloodAsync(outside, b, async () =>
        {
            foreach (var deny in new[] { "10.239.99.0/25", "10.239.99.0/24", "10.239.99.0/25", "10.239.99.0/24" })
            {
                Assert.Equal(0, _agent.Import("b", Policy(deny)).Code);
            }

            await Task.Delay(300);
        });
        Assert.True(sent > 1000, $"the flood sent only {sent}; errors: {errors}");
        Assert.True(received == 0, $"{received} of {sent} datagrams the policy denied before and after each change reached b");
    }

    [Fact]
    public async Task An_adopted_namespace_that_sends_while_it_becomes_an_endpoint_never_passes_as_world()
    {
        Root.Require();
        await _agent.StartAsync();
        var b = _agent.CreateEndpoint(_agent.EndpointName("b"), "k8s:app=b");

        // b takes UDP from the world, and from no endpoint: an endpoint's datagram to b is dropped whatever its labels.
        Assert.Equal(0, _agent.Import("b", """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: b, namespace: default}
            spec:
              endpointSelector: {matchLabels: {app: b}}
              ingress:
              - fromEntities: [world]
                toPorts: [{ports: [{port: "5000", protocol: UDP}]}]
            """).Code);
        var adopted = _agent.Prefix + "-y";
        using (NetworkNamespace.Create(adopted))
        {
        }

        // From before the namespace has a route (every send fails) until well after it is an endpoint (its first ARP
        // requests are dropped with everything else until its policy is in place, and ARP retries after a second).
        var (sent, received, errors) = await FloodAsync(adopted, b, async () =>
        {
            await Task.Delay(200);
            _agent.CliOk("endpoint", "create", _agent.EndpointName("y"), "--labels", "k8s:app=y", "--netns", adopted);
            await Task.Delay(3000);
        });
        Assert.True(sent > 1000, $"only {sent} datagrams were sent once y had a network; errors: {errors}");
        Assert.True(received == 0, $"{received} of y's {sent} datagrams reached b: y passed as world while it became an endpoint");
        _agent.CliOk("endpoint", "delete", _agent.EndpointName("y"));
        NetworkNamespace.Delete(adopted);
    }

    [Fact]
    public async Task A_new_endpoint_on_a_deleted_endpoints_address_does_not_inherit_its_flows()
    {
        Root.Require();
        await _agent.StartAsync();
        var b = _agent.CreateEndpoint(_agent.EndpointName("b"), "k8s:app=b");
        var c = _agent.CreateEndpoint(_agent.EndpointName("c"), "k8s:app=c");
        Assert.Equal(0, _agent.Import("b", """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: b, namespace: default}
            spec:
              endpointSelector: {matchLabels: {app: b}}
              ingress:
              - fromEndpoints: [{matchLabels: {app: c}}]
                icmps: [{fields: [{type: EchoRequest, family: IPv4}]}]
            """).Code);

        // c pings b with identifier 30583: b tracks the flow {c's address -> b, 30583}.
        Assert.True((await EndpointTraffic.PingEventuallyAsync(c.Name, b.IPv4, 3, "-e", "30583")).Replied, "c may ping b");
        _agent.CliOk("endpoint", "delete", c.Name);

        // After a restart the pools hand out the lowest free address again: x gets c's, and b's policy does not take x.
        Assert.True(_agent.Stop());
        await _agent.StartAsync();
        var x = _agent.CreateEndpoint(_agent.EndpointName("x"), "k8s:app=x");
        Assert.Equal(c.IPv4, x.IPv4);
        Assert.False((await EndpointTraffic.PingAsync(x.Name, b.IPv4, "-e", "30583")).Replied, "x, on c's old address with c's old identifier, is let through as c's flow");
        Assert.DoesNotContain(c.IPv4, _agent.CliOk("bpf", "ct", "list", b.Name));
    }

    /// <summary>
    /// UDP datagrams from one socket in <paramref name="from"/> to b's port 5000, as fast as they go, for as long as
    /// <paramref name="during"/> runs: how many were sent, how many b received, and the send errors by kind.
    /// </summary>
    private static async Task<(int Sent, int Received, string Errors)> FloodAsync(string from, AgentEndpoint b, Func<Task> during)
    {
        var address = IPAddress.Parse(b.IPv4);
        using var listener = EndpointTraffic.InNamespace(b.Name, () =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(address, 5000));
            return socket;
        });
        var received = 0;
        var sent = 0;
        var errors = new Dictionary<SocketError, int>();
        using var stop = new CancellationTokenSource();
        var receiving = Task.Run(async () =>
        {
            var buffer = new byte[64];
            try
            {
                while (true)
                {
                    await listener.ReceiveAsync(buffer, stop.Token);
                    Interlocked.Increment(ref received);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });
        var sending = Task.Run(() =>
        {
            using var socket = EndpointTraffic.InNamespace(from, () => new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp));
            socket.SendTimeout = 200;
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    socket.SendTo("flood"u8, new IPEndPoint(address, 5000));
                    sent++;
                }
                catch (SocketException e)
                {
                    errors[e.SocketErrorCode] = errors.GetValueOrDefault(e.SocketErrorCode) + 1;
                    Thread.Sleep(0);
                }
            }
        });

        try
        {
            await during();
        }
        finally
        {
            await Task.Delay(500);
            stop.Cancel();
            await Task.WhenAll(sending, receiving);
        }

        return (sent, received, string.Join(", ", errors.Select(e => $"{e.Key} {e.Value}")));
    }

    /// <summary>
    /// A namespace of the test's own with one address, joined to the node by a veth pair and routed through it, as a host
    /// outside the node's endpoints would be (the ipcache calls it world, or the CIDR that holds it).
    /// </summary>
    private string AddOutsidePeer(string address, string gateway)
    {
        var name = _agent.Prefix + "-ext";
        using var peer = NetworkNamespace.Create(name);
        using var node = NetworkNamespace.Open(_agent.Node);
        var hostSide = "mbr" + _agent.Prefix[3..][..8] + "e";
        using (var links = Rtnetlink.Open(node))
        {
            links.CreateVethPair(hostSide, "eth0", peer);
            var index = links.GetLink(hostSide).Index;
            links.AddAddress(index, IPAddress.Parse(gateway), 24);
            links.SetLinkUp(hostSide);
        }

        using (var links = Rtnetlink.Open(peer))
        {
            var index = links.GetLink("eth0").Index;
            links.AddAddress(index, IPAddress.Parse(address), 24);
            links.SetLinkUp("lo");
            links.SetLinkUp("eth0");
            links.AddRoute(new RouteSpec(new IPNetwork(IPAddress.Any, 0)) { Gateway = IPAddress.Parse(gateway) });
        }

        return name;
    }

    public void Dispose() => _agent.Dispose();
}
