using System.Net;
using Membrane.Netlink.Addresses;
using Membrane.Netlink.Tests.Support;

namespace Membrane.Netlink.Tests.Links;

/// <summary>The kernel's refusals come back as one line that names the operation and its object, then the errno, and
/// the kernel's extended-ack text when it sent one.</summary>
[Collection(NetlinkKernelCollection.Name)]
public sealed class LinkErrorTests
{
    [Fact]
    public void Creating_a_link_that_exists_names_the_link_and_EEXIST()
    {
        Root.Require();
        using var namespaces = new TestNamespaces();
        using var links = Rtnetlink.Open(namespaces.Create("E"));
        var name = TestNames.Unique("x");
        links.CreateVethPair(name, TestNames.Unique("p"));

        var peer = TestNames.Unique("p");
        var error = Assert.Throws<NetlinkException>(() => links.CreateVethPair(name, peer));
        Assert.Equal($"link add {name} type veth peer name {peer}: EEXIST (File exists)", error.Message);
        Assert.Equal(Errno.EEXIST, error.Errno);
        Assert.Null(error.KernelMessage);
    }

    [Fact]
    public void Deleting_a_link_that_does_not_exist_names_it_and_ENODEV()
    {
        Root.Require();
        using var namespaces = new TestNamespaces();
        using var links = Rtnetlink.Open(namespaces.Create("E"));
        var name = TestNames.Unique("gone");

        var error = Assert.Throws<NetlinkException>(() => links.DeleteLink(name));
        Assert.Equal($"link delete {name}: ENODEV (No such device)", error.Message);
        Assert.Null(links.FindLink(name));
    }

    [Fact]
    public void An_invalid_address_gives_the_kernels_own_words_and_names_the_device()
    {
        Root.Require();
        using var namespaces = new TestNamespaces();
        using var links = Rtnetlink.Open(namespaces.Create("E"));
        var name = TestNames.Unique("x");
        links.CreateVethPair(name, TestNames.Unique("p"));
        var index = links.GetLink(name).Index;

        // net/ipv6/addrconf.c inet6_addr_add refuses the unspecified address with an extended ack.
        var error = Assert.Throws<NetlinkException>(() =>
            links.AddAddress(index, IPAddress.IPv6Any, 64, AddressOptions.NoDuplicateAddressDetection));
        Assert.Equal($"address add ::/64 dev {name}: EADDRNOTAVAIL: the kernel says \"ipv6: Invalid address\"", error.Message);
        Assert.Equal("ipv6: Invalid address", error.KernelMessage);

        // Adding an address twice: EEXIST, with the kernel's text.
        links.AddAddress(index, IPAddress.Parse("10.231.9.1"), 24);
        var twice = Assert.Throws<NetlinkException>(() => links.AddAddress(index, IPAddress.Parse("10.231.9.1"), 24));
        Assert.Equal($"address add 10.231.9.1/24 dev {name}: EEXIST: the kernel says \"ipv4: Address already assigned\"", twice.Message);
    }

    [Fact]
    public void An_unknown_device_index_is_named_by_its_index()
    {
        Root.Require();
        using var namespaces = new TestNamespaces();
        using var links = Rtnetlink.Open(namespaces.Create("E"));

        var error = Assert.Throws<NetlinkException>(() => links.AddAddress(999_999, IPAddress.Parse("10.231.9.1"), 24));
        Assert.StartsWith("address add 10.231.9.1/24 dev ifindex 999999: ENODEV", error.Message);
    }
}
