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

    /// <summary>b takes UDP 5000 from the world, except from <paramref name="deny"/>.</summary>
    private static string Policy(string deny) => $$$"""
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

    /// <summary>
    /// The agent killed in the middle of a policy change, after it saved the new policies and before it switched the
    /// endpoints to them (strace holds the agent just after the rename that saves the policies file, and the test kills
    /// it then): the next agent finishes the change from there in the same safe order, and a peer that both policies
    /// deny, flooding all along, never gets through.
    /// </summary>
    [Fact]
    public async Task A_change_the_agent_was_killed_in_the_middle_of_is_finished_by_the_next_without_letting_anything_through()
    {
        Root.Require();
        await _agent.StartAsync();
        var b = _agent.CreateEndpoint(_agent.EndpointName("b"), "k8s:app=b");
        var outside = AddOutsidePeer("10.239.99.130", "10.239.99.254");
        Assert.Equal(0, _agent.Import("b", Policy("10.239.99.0/24")).Code);
        var (sent, received, errors) = await FloodAsync(outside, b, async () =>
        {
            using var strace = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("strace",
                ["-f", "-qq", "-p", _agent.Process!.Id.ToString(System.Globalization.CultureInfo.InvariantCulture),
                 "-e", "trace=rename,renameat,renameat2", "-e", "inject=rename,renameat,renameat2:delay_exit=4000000"])
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
            })!;
            var renamed = new TaskCompletionSource();
            strace.ErrorDataReceived += (_, e) =>
            {
                if (e.Data?.Contains("repository.json", StringComparison.Ordinal) == true)
                {
                    renamed.TrySetResult();
                }
            };
            strace.BeginErrorReadLine();
            await Task.Delay(1000); // strace attaches to every thread
            var import = Task.Run(() => _agent.Import("b", Policy("10.239.0.0/16")));
            await renamed.Task.WaitAsync(TimeSpan.FromSeconds(20));
            _agent.Kill();
            strace.Kill();
            await import;
            await _agent.StartAsync();
            Assert.Contains("policy revision 2", _agent.CliOk("policy", "get"));
            await Task.Delay(1000);
        });
        Assert.True(sent > 1000, $"the flood sent only {sent}; errors: {errors}");
        Assert.True(received == 0, $"{received} of {sent} datagrams that both policies deny reached b across the kill and the restart");
        Assert.DoesNotContain("10.239.99.130", _agent.CliOk("bpf", "ct", "list", b.Name));
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
    /// b's egress lets it send to c alone, and b keeps sending to c's address while c is deleted and x is made on the
    /// same address (after a restart, the pools hand out the lowest free address again): nothing b sends is tracked as a
    /// flow to c once c is gone, so nothing reaches x, whose identity b's policy does not allow.
    /// </summary>
    [Fact]
    public async Task A_peer_that_keeps_sending_to_a_deleted_endpoint_does_not_reach_the_one_on_its_address()
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
              egress:
              - toEndpoints: [{matchLabels: {app: c}}]
                toPorts: [{ports: [{port: "5000", protocol: UDP}]}]
            """).Code);
        var x = _agent.EndpointName("x");
        var (sent, received, errors) = await FloodAsync(b.Name, c, async () =>
        {
            await Task.Delay(300);
            _agent.CliOk("endpoint", "delete", c.Name);
            Assert.True(_agent.Stop());
            await _agent.StartAsync();
            Assert.Equal(c.IPv4, _agent.CreateEndpoint(x, "k8s:app=x").IPv4);
            await Task.Delay(1000);
        }, receiver: x);
        Assert.True(sent > 1000, $"b sent only {sent}; errors: {errors}");
        Assert.True(received == 0, $"{received} of b's datagrams to c's address reached x, which b's policy does not allow");
        Assert.DoesNotContain(c.IPv4, _agent.CliOk("bpf", "ct", "list", b.Name));
    }

    /// <summary>
    /// UDP datagrams from one socket in <paramref name="from"/> to b's port 5000, as fast as they go, for as long as
    /// <paramref name="during"/> runs: how many were sent, how many b received, and the send errors by kind.
    /// </summary>
    private static async Task<(int Sent, int Received, string Errors)> FloodAsync(string from, AgentEndpoint b, Func<Task> during, string? receiver = null)
    {
        var address = IPAddress.Parse(b.IPv4);
        var received = 0;
        var sent = 0;
        var errors = new Dictionary<SocketError, int>();
        using var stop = new CancellationTokenSource();
        Socket Listen(string where) => EndpointTraffic.InNamespace(where, () =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Any, 5000));
            return socket;
        });

        // b's listener is there before anything is sent; a receiver made while the flood runs listens once it exists.
        var listener = receiver is null ? Listen(b.Name) : null;
        var receiving = Task.Run(async () =>
        {
            while (listener is null && !stop.IsCancellationRequested)
            {
                try
                {
                    listener = NetworkNamespace.Exists(receiver!) ? Listen(receiver!) : null;
                }
                catch (Exception e) when (e is SocketException or Membrane.Netlink.NetlinkException)
                {
                }

                await Task.Delay(5);
            }

            var buffer = new byte[64];
            try
            {
                while (listener is not null)
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
            listener?.Dispose();
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
