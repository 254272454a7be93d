using System.Net;
using System.Security.Cryptography;
using Membrane.Agent.Addressing;
using Membrane.Agent.Endpoints;
using Membrane.Netlink;
using Membrane.Netlink.Namespaces;

namespace Membrane.Agent.Tests.Endpoints;

/// <summary>
/// Endpoint networks made and removed by the builder in a node namespace of the test's own (mbrag…), with endpoints
/// named mbrag…: real ping and ping -6 between two of them through the node, everything gone after delete, and a
/// failure half way undone. The pools are 10.236.X.0/24 and fd00:236:X::/64, apart from the other test projects.
/// </summary>
[Collection(AgentKernelCollection.Name)]
public sealed class EndpointNetworkBuilderTests
{
    [Fact]
    public void Two_endpoints_reach_each_other_through_the_node_and_delete_leaves_nothing()
    {
        Root.Require();
        using var node = new TestNode();
        var builder = node.Builder();
        builder.EnableForwarding();
        var a = builder.Create(Unique());
        var b = builder.Create(Unique());
        try
        {
            Assert.Equal(a.Name, a.NetworkNamespace);
            Assert.True(NetworkNamespace.Exists(a.Name));
            Assert.True(Command.PingEventually(a.Name, b.IPv4.ToString()), "ping from a to b over IPv4 through the node");
            Assert.True(Command.PingEventually(b.Name, a.IPv6.ToString()), "ping -6 from b to a through the node");
        }
        finally
        {
            builder.Delete(a);
            builder.Delete(b);
        }

        Assert.False(NetworkNamespace.Exists(a.Name));
        Assert.False(NetworkNamespace.Exists(b.Name));
        using var links = Rtnetlink.Open(node.Namespace);
        Assert.Null(links.FindLink(a.HostInterface));
        Assert.Null(links.FindLink(b.HostInterface));
        Assert.Equal(0, node.IPv4.Count);
        Assert.Equal(0, node.IPv6.Count);
        builder.Delete(a); // a second delete of what is gone is not an error
    }

    [Fact]
    public void A_failure_half_way_undoes_the_namespace_and_the_addresses()
    {
        Root.Require();
        using var node = new TestNode();
        var builder = node.Builder();
        var name = Unique();

        // The host-side name is taken in the node, so the veth pair cannot be made, after the namespace and addresses were.
        using (var links = Rtnetlink.Open(node.Namespace))
        {
            links.CreateVethPair(HostInterfaceName.For(node.Namespace.Name!, name), "mbragx" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3)));
        }

        var error = Assert.Throws<NetlinkException>(() => builder.Create(name));
        Assert.Contains("EEXIST", error.Message);
        Assert.False(NetworkNamespace.Exists(name), "the endpoint's namespace was removed");
        Assert.Equal(0, node.IPv4.Count);
        Assert.Equal(0, node.IPv6.Count);
    }

    [Fact]
    public void An_adopted_namespace_stays_after_delete()
    {
        Root.Require();
        using var node = new TestNode();
        var builder = node.Builder();
        var adopted = Unique();
        using var existing = NetworkNamespace.Create(adopted);
        try
        {
            var network = builder.Create(Unique(), adoptNamespace: adopted);
            Assert.Equal(adopted, network.NetworkNamespace);
            builder.Delete(network);
            Assert.True(NetworkNamespace.Exists(adopted));
            using var links = Rtnetlink.Open(existing);
            Assert.Null(links.FindLink(EndpointNetworkBuilder.EndpointInterface));
        }
        finally
        {
            NetworkNamespace.Delete(adopted);
        }
    }

    private static string Unique() => "mbrag" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    /// <summary>A node namespace of the test's own and its pools; Dispose deletes it, and endpoints left by a failure.</summary>
    private sealed class TestNode : IDisposable
    {
        public TestNode()
        {
            var s = RandomNumberGenerator.GetInt32(0, 256);
            Namespace = NetworkNamespace.Create(Unique());
            IPv4 = new AddressPool(IPNetwork.Parse($"10.236.{s}.0/24"));
            IPv6 = new AddressPool(IPNetwork.Parse($"fd00:236:{s:x}::/64"));
        }

        public NetworkNamespace Namespace { get; }

        public AddressPool IPv4 { get; }

        public AddressPool IPv6 { get; }

        public EndpointNetworkBuilder Builder() => new(Namespace, Namespace.Name!, IPv4, IPv6);

        public void Dispose()
        {
            Namespace.Dispose();
            NetworkNamespace.Delete(Namespace.Name!);
        }
    }
}
