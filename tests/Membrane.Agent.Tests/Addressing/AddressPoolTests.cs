using System.Net;
using Membrane.Agent.Addressing;

namespace Membrane.Agent.Tests.Addressing;

public sealed class AddressPoolTests
{
    [Fact]
    public void The_gateway_is_the_first_host_and_endpoints_get_the_next_ones_in_order()
    {
        var pool = new AddressPool(IPNetwork.Parse("10.200.0.0/16"));
        Assert.Equal(IPAddress.Parse("10.200.0.1"), pool.Gateway);
        Assert.Equal(IPAddress.Parse("10.200.0.2"), pool.Allocate());
        Assert.Equal(IPAddress.Parse("10.200.0.3"), pool.Allocate());
        Assert.Equal(2, pool.Count);
    }

    [Fact]
    public void A_released_address_is_the_next_one_given()
    {
        var pool = new AddressPool(IPNetwork.Parse("fd00:200::/64"));
        var first = pool.Allocate();
        pool.Allocate();
        Assert.Equal(IPAddress.Parse("fd00:200::2"), first);
        Assert.True(pool.Release(first));
        Assert.False(pool.Release(first));
        Assert.Equal(first, pool.Allocate());
    }

    [Fact]
    public void A_small_IPv4_pool_never_gives_network_gateway_or_broadcast_and_says_when_it_is_exhausted()
    {
        var pool = new AddressPool(IPNetwork.Parse("192.168.7.0/29"));
        var given = Enumerable.Range(0, 5).Select(_ => pool.Allocate().ToString()).ToList();
        Assert.Equal(["192.168.7.2", "192.168.7.3", "192.168.7.4", "192.168.7.5", "192.168.7.6"], given);
        var error = Assert.Throws<InvalidOperationException>(pool.Allocate);
        Assert.Contains("192.168.7.0/29 is exhausted", error.Message);
    }

    [Fact]
    public void Restored_addresses_are_reserved_and_skipped()
    {
        var pool = new AddressPool(IPNetwork.Parse("10.200.0.0/24"));
        Assert.True(pool.TryReserve(IPAddress.Parse("10.200.0.2")));
        Assert.False(pool.TryReserve(IPAddress.Parse("10.200.0.2")));
        Assert.False(pool.TryReserve(IPAddress.Parse("10.200.0.1"))); // the gateway
        Assert.False(pool.TryReserve(IPAddress.Parse("10.201.0.2"))); // outside
        Assert.False(pool.TryReserve(IPAddress.Parse("fd00::2")));
        Assert.Equal(IPAddress.Parse("10.200.0.3"), pool.Allocate());
    }

    [Fact]
    public void A_pool_with_no_room_for_endpoints_is_refused() =>
        Assert.Contains("too small", Assert.Throws<ArgumentException>(() => new AddressPool(IPNetwork.Parse("10.0.0.0/31"))).Message);
}
