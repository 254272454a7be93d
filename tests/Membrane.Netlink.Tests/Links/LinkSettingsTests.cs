using System.Net.NetworkInformation;
using Membrane.Netlink.Tests.Support;

namespace Membrane.Netlink.Tests.Links;

[Collection(NetlinkKernelCollection.Name)]
public sealed class LinkSettingsTests
{
    [Fact]
    public void Mtu_mac_up_down_and_a_move_to_another_namespace_show_in_ip_link()
    {
        Root.Require();
        using var namespaces = new TestNamespaces();
        var here = namespaces.Create("S");
        var there = namespaces.Create("T");
        using var links = Rtnetlink.Open(here);
        var name = TestNames.Unique("x");
        var peer = TestNames.Unique("p");
        links.CreateVethPair(name, peer);

        links.SetMtu(name, 1400);
        links.SetMacAddress(name, PhysicalAddress.Parse("02-00-00-AB-CD-EF"));
        links.SetLinkUp(name);
        var link = links.GetLink(name);
        Assert.Equal((1400, "020000ABCDEF", true), (link.Mtu, link.MacAddress?.ToString(), link.IsUp));
        var ip = Command.IpJson(here.Name!, "link", "show", "dev", name)[0];
        Assert.Equal((1400, "02:00:00:ab:cd:ef"), (ip.GetProperty("mtu").GetInt32(), ip.GetProperty("address").GetString()));
        Assert.Contains("UP", ip.GetProperty("flags").EnumerateArray().Select(flag => flag.GetString()));
        Assert.Equal(links.GetLink(peer).Index, link.ParentIndex);

        links.SetLinkDown(name);
        Assert.False(links.GetLink(name).IsUp);

        links.MoveToNamespace(peer, there);
        Assert.Null(links.FindLink(peer));
        using var thereLinks = Rtnetlink.Open(there);
        Assert.Equal("veth", thereLinks.GetLink(peer).Kind);
        Assert.Equal(peer, Command.IpJson(there.Name!, "link", "show", "dev", peer)[0].GetProperty("ifname").GetString());
    }
}
