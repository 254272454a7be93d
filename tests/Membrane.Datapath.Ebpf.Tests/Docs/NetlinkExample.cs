// The complete example of docs/netlink.md, verbatim between the markers, so the documentation is compiled and run.
// begin example
using System.Net;
using Membrane.Bpf.Programs;
using Membrane.Datapath.Ebpf.Attachment;
using Membrane.Netlink;
using Membrane.Netlink.Addresses;
using Membrane.Netlink.Namespaces;
using Membrane.Netlink.Routes;

namespace Membrane.Datapath.Ebpf.Tests.Docs;

public static class NetlinkExample
{
    /// <summary>Builds an endpoint: a namespace joined to <paramref name="node"/> by a veth pair, IPv4 and IPv6 on
    /// both ends, default routes in the endpoint; then attaches <paramref name="program"/> to the host end.</summary>
    public static ProgramAttachment BuildEndpoint(NetworkNamespace node, string name, BpfProgram program)
    {
        // 1. A named namespace: `ip netns exec <name>` sees it, because it is bind-mounted under /run/netns.
        using var endpoint = NetworkNamespace.Create(name);

        // 2. The veth pair, from the node's side; the peer is created straight inside the endpoint.
        using var nodeLinks = Rtnetlink.Open(node);
        var host = $"{name}h";
        nodeLinks.CreateVethPair(host, $"{name}e", endpoint);
        var hostIndex = nodeLinks.GetLink(host).Index;
        nodeLinks.AddAddress(hostIndex, IPAddress.Parse("10.236.0.1"), 30);
        nodeLinks.AddAddress(hostIndex, IPAddress.Parse("fd00:236::1"), 64, AddressOptions.NoDuplicateAddressDetection);
        nodeLinks.SetLinkUp(host);

        // 3. The endpoint's side, through a socket opened inside its namespace.
        using var links = Rtnetlink.Open(endpoint);
        var device = links.GetLink($"{name}e").Index;
        links.AddAddress(device, IPAddress.Parse("10.236.0.2"), 30);
        links.AddAddress(device, IPAddress.Parse("fd00:236::2"), 64, AddressOptions.NoDuplicateAddressDetection);
        links.SetLinkUp($"{name}e");
        links.AddRoute(new RouteSpec(IPNetwork.Parse("0.0.0.0/0")) { Gateway = IPAddress.Parse("10.236.0.1") });
        links.AddRoute(new RouteSpec(IPNetwork.Parse("::/0")) { Gateway = IPAddress.Parse("fd00:236::1") });

        // 4. Attach: tcx if the kernel has it, tc clsact otherwise. Disposing the attachment detaches the program.
        return ProgramAttachment.Attach(program, new AttachTarget(host, node), AttachDirection.Ingress);
    }
}
// end example
