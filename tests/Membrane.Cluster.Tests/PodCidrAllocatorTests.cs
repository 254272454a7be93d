using System.Net;

namespace Membrane.Cluster.Tests;

/// <summary>
/// Pod CIDRs taken from a cluster pool in a real etcd: nodes racing take different CIDRs, all inside the pool; a node
/// asking again (an agent restarted) gets the one it has; a node racing with itself gets one; a full pool is an error
/// that says so.
/// </summary>
public sealed class PodCidrAllocatorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Nodes_racing_take_different_cidrs_of_the_pool_and_keep_them()
    {
        using var etcd = await EtcdServer.StartAsync();
        var pool = IPNetwork.Parse("10.240.0.0/12");
        var nodes = Enumerable.Range(0, 12).Select(i => $"mbr-node{i}").ToList();

        // Every node twice at once (as an agent restarted while its first attempt still ran), each from its own client.
        var got = await Task.WhenAll(nodes.Concat(nodes).Select(node =>
            new PodCidrAllocator(etcd.Client(), pool, 24).AllocateAsync(node, Ct)));

        var byNode = nodes.Select((node, i) => (node, got[i], got[i + nodes.Count])).ToList();
        Assert.All(byNode, n => Assert.Equal(n.Item2, n.Item3));
        Assert.Equal(nodes.Count, byNode.Select(n => n.Item2).Distinct().Count());
        Assert.All(byNode, n => Assert.True(pool.Contains(n.Item2.BaseAddress) && n.Item2.PrefixLength == 24, $"{n.node}: {n.Item2}"));

        // Asked again later, from a new client, a node gets what it has.
        Assert.Equal(byNode[3].Item2, await new PodCidrAllocator(etcd.Client(), pool, 24).AllocateAsync(nodes[3], Ct));
    }

    [Fact]
    public async Task An_ipv6_pool_is_split_the_same_way_and_a_full_pool_is_an_error()
    {
        using var etcd = await EtcdServer.StartAsync();
        var allocator = new PodCidrAllocator(etcd.Client(), IPNetwork.Parse("fd00:240::/62"), 63);
        Assert.Equal(2, allocator.Capacity);
        Assert.Equal(IPNetwork.Parse("fd00:240::/63"), await allocator.AllocateAsync("mbr-a", Ct));
        Assert.Equal(IPNetwork.Parse("fd00:240:0:2::/63"), await allocator.AllocateAsync("mbr-b", Ct));
        var full = await Assert.ThrowsAsync<InvalidOperationException>(() => allocator.AllocateAsync("mbr-c", Ct));
        Assert.Contains("no pod CIDR is free: the pool fd00:240::/62 holds 2 of /63", full.Message);
        Assert.Throws<ArgumentException>(() => new PodCidrAllocator(etcd.Client(), IPNetwork.Parse("10.0.0.0/8"), 4));
    }
}
