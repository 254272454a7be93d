using System.Text.Json;
using Membrane.Datapath.Ebpf.Attachment;
using Membrane.Datapath.Ebpf.Tests.Support;
using Membrane.Netlink.Namespaces;

namespace Membrane.Datapath.Ebpf.Tests.Docs;

[Collection(DatapathKernelCollection.Name)]
public sealed class NetlinkExampleTests
{
    [Fact]
    public void Documentation_example_builds_an_endpoint_and_attaches_a_program()
    {
        Root.Require();
        var nodeName = $"mbrdaN{Random.Shared.Next(0x100000, 0xFFFFFF):x}";
        var endpointName = $"mbrdaX{Random.Shared.Next(0x1000, 0xFFFF):x}";
        using var node = NetworkNamespace.Create(nodeName);
        try
        {
            using var drop = VethNetwork.LoadDrop();
            using (var attachment = NetlinkExample.BuildEndpoint(node, endpointName, drop))
            {
                Assert.Equal(AttachMode.Tcx, attachment.Mode);
                Assert.False(Ping(endpointName, "10.236.0.1"), "the drop program on the host end should stop the endpoint's ping");
            }

            Assert.True(Enumerable.Range(0, 5).Any(_ => Ping(endpointName, "10.236.0.1")), "ping should pass once detached");
            Assert.True(Enumerable.Range(0, 5).Any(_ => Ping(endpointName, "fd00:236::1")), "ping -6 too");
            var routes = JsonDocument.Parse(Command.Run("ip", "-n", endpointName, "-j", "route", "show").Output).RootElement;
            Assert.Contains(routes.EnumerateArray(), route => route.GetProperty("dst").GetString() == "default");
        }
        finally
        {
            if (NetworkNamespace.Exists(endpointName))
            {
                NetworkNamespace.Delete(endpointName);
            }

            NetworkNamespace.Delete(nodeName);
        }
    }

    [Fact]
    public void Documentation_quotes_the_example_verbatim()
    {
        var source = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Docs", "NetlinkExample.cs"));
        var begin = source.IndexOf("// begin example\n", StringComparison.Ordinal) + "// begin example\n".Length;
        var example = source[begin..source.IndexOf("// end example", StringComparison.Ordinal)];
        var documentation = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Docs", "netlink.md"));
        Assert.Contains(example, documentation);
    }

    private static bool Ping(string networkNamespace, string address) =>
        Command.Run("ip", "netns", "exec", networkNamespace, "ping", "-c", "1", "-W", "1", address).ExitCode == 0;
}
