using System.Net;
using System.Net.Sockets;
using Membrane.Netlink.Addresses;
using Membrane.Netlink.Tests.Support;

namespace Membrane.Netlink.Tests.Addresses;

[Collection(NetlinkKernelCollection.Name)]
public sealed class LargeDumpTests
{
    [Fact]
    public void A_dump_of_300_addresses_of_each_family_spans_several_datagrams_and_is_read_completely()
    {
        Root.Require();
        using var namespaces = new TestNamespaces();
        var networkNamespace = namespaces.Create("D");
        using var links = Rtnetlink.Open(networkNamespace);
        var name = TestNames.Unique("x");
        links.CreateVethPair(name, TestNames.Unique("p"));
        var index = links.GetLink(name).Index;
        var expected6 = Enumerable.Range(1, 300).Select(i => IPAddress.Parse($"fd00:231:ff::{i:x}")).ToList();
        var expected4 = Enumerable.Range(1, 300).Select(i => IPAddress.Parse($"10.231.{i / 256}.{i % 256}")).ToList();
        foreach (var address in expected6)
        {
            links.AddAddress(index, address, 128, AddressOptions.NoDuplicateAddressDetection);
        }

        foreach (var address in expected4)
        {
            links.AddAddress(index, address, 32);
        }

        // About 80 bytes per address: 600 take more than the 32 KiB a dump datagram holds at most.
        var listed = links.ListAddresses(ifindex: index);
        Assert.True(links.DatagramsInLastRequest > 1, $"the dump took {links.DatagramsInLastRequest} datagram(s); it should need several");
        Assert.Equal(expected6.Concat(expected4).Select(address => address.ToString()).Order(),
            listed.Where(address => address.PrefixLength is 128 or 32).Select(address => address.Address.ToString()).Order());
        Assert.All(listed.Where(address => address.PrefixLength == 128), address => Assert.True(address.NoDuplicateAddressDetection));

        // iproute2 reads the same 300.
        var ip = Command.IpJson(networkNamespace.Name!, "-6", "addr", "show", "dev", name);
        Assert.Equal(300, ip[0].GetProperty("addr_info").EnumerateArray().Count(address => address.GetProperty("prefixlen").GetInt32() == 128));
    }
}
