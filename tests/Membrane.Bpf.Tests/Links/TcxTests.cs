using Membrane.Bpf.Programs;
using Membrane.Bpf.Links;
using Membrane.Bpf.Maps;
using Membrane.Bpf.Tests.Support;

namespace Membrane.Bpf.Tests.Links;

/// <summary>
/// A drop-everything program attached with tcx to the veth end in namespace A stops ping between A and B; detaching
/// it lets ping through again. The attach happens on a thread that entered namespace A, because BPF_LINK_CREATE
/// resolves the ifindex in the caller's network namespace; detach and unpin work from anywhere.
/// </summary>
[Collection(KernelCollection.Name)]
public sealed class TcxTests
{
    [Fact]
    public void Drop_program_on_ingress_stops_ping_and_detaching_restores_it()
    {
        Root.Require();
        using var network = new TestNetwork();
        using var drop = Support.Programs.LoadDrop();
        Assert.True(network.PingFromAToBEventually(), "ping should pass before anything is attached");

        var link = network.AttachInA(drop, TcxDirection.Ingress);
        try
        {
            Assert.Contains("tcx ingress", link.Description);
            Assert.False(network.PingFromAToB(), "ping should fail while the drop program is attached");
        }
        finally
        {
            link.Dispose(); // closing the only descriptor of an unpinned link detaches it
        }

        Assert.True(network.PingFromAToBEventually(), "ping should pass again after detaching");
    }

    [Fact]
    public void A_tcx_link_says_where_it_attaches_and_which_program_it_runs()
    {
        Root.Require();
        using var network = new TestNetwork();
        using var drop = Support.Programs.LoadDrop();
        using var ingress = network.AttachInA(drop, TcxDirection.Ingress);
        using var egress = network.AttachInA(drop, TcxDirection.Egress);
        var ifindex = Command.IpJson(network.NamespaceA, "link", "show", "dev", network.InterfaceA)[0].GetProperty("ifindex").GetInt32();
        Assert.Equal((ifindex, TcxDirection.Ingress), ingress.TcxTarget);
        Assert.Equal((ifindex, TcxDirection.Egress), egress.TcxTarget);
        Assert.Equal(drop.Id, ingress.ProgramId);
    }

    /// <summary>
    /// A link whose pin was moved aside is found through its hook and opened by its id; attaching its program there
    /// again is refused (EEXIST), which is why it must be found rather than made anew.
    /// </summary>
    [Fact]
    public void A_hook_lists_its_programs_in_order_with_their_links_which_open_by_id()
    {
        Root.Require();
        using var network = new TestNetwork();
        using var drop = Support.Programs.LoadDrop();
        using var pass = BpfProgram.Load(Support.Programs.Returning("mbr_pass", 0));
        using var first = network.AttachInA(drop, TcxDirection.Ingress);
        using var second = network.AttachInA(pass, TcxDirection.Ingress);
        var ifindex = InNetworkNamespace.Run(network.NamespaceA, () => InNetworkNamespace.InterfaceIndex(network.InterfaceA));

        var attached = InNetworkNamespace.Run(network.NamespaceA, () => Tcx.Query(ifindex, TcxDirection.Ingress));
        Assert.Equal([drop.Id, pass.Id], attached.Select(a => a.ProgramId));
        Assert.Empty(InNetworkNamespace.Run(network.NamespaceA, () => Tcx.Query(ifindex, TcxDirection.Egress)));

        using var reopened = BpfLink.OpenById(attached[0].LinkId);
        Assert.Equal(drop.Id, reopened.ProgramId);
        Assert.Equal((ifindex, TcxDirection.Ingress), reopened.TcxTarget);
        var again = Assert.ThrowsAny<Exception>(() => network.AttachInA(drop, TcxDirection.Ingress));
        Assert.Contains("EEXIST", again.Message);
        Assert.Throws<BpfLinkException>(() => BpfLink.OpenById(uint.MaxValue));
    }

    [Fact]
    public void Explicit_detach_works_while_the_link_is_still_open()
    {
        Root.Require();
        using var network = new TestNetwork();
        using var drop = Support.Programs.LoadDrop();
        Assert.True(network.PingFromAToBEventually());

        using var link = network.AttachInA(drop, TcxDirection.Egress);
        Assert.False(network.PingFromAToB(), "ping should fail while egress drops");
        link.Detach();
        Assert.True(network.PingFromAToBEventually(), "ping should pass after BPF_LINK_DETACH");
    }

    [Fact]
    public void Pinned_link_keeps_dropping_after_its_handle_closes_until_unpinned()
    {
        Root.Require();
        using var pins = new TestPins();
        using var network = new TestNetwork();
        var path = pins.PathOf("drop_link");
        using (var drop = Support.Programs.LoadDrop())
        {
            Assert.True(network.PingFromAToBEventually());
            using var link = network.AttachInA(drop, TcxDirection.Ingress);
            link.Pin(path);
        }

        // Program and link descriptors are closed; the pin alone keeps the attachment.
        Assert.True(File.Exists(path));
        Assert.False(network.PingFromAToB(), "the pinned link should still drop");

        using (var reopened = BpfLink.OpenPinned(path))
        {
            reopened.Unpin();
        }

        Assert.False(File.Exists(path));
        Assert.True(network.PingFromAToBEventually(), "ping should pass once the pin and the last descriptor are gone");
        Assert.Throws<BpfLinkException>(() => BpfLink.OpenPinned(path));
    }

    [Fact]
    public void Probe_finds_tcx_on_this_kernel()
    {
        Root.Require();
        // This machine runs 6.18, which has tcx; the probe must say so by asking the kernel, not by its version.
        Assert.True(Tcx.IsSupported);
    }

    [Fact]
    public void Attaching_to_a_missing_interface_says_so()
    {
        Root.Require();
        using var network = new TestNetwork();
        using var drop = Support.Programs.LoadDrop();
        var error = Assert.Throws<InvalidOperationException>(() =>
            InNetworkNamespace.Run(network.NamespaceA, () => Tcx.Attach(drop, 999_999, TcxDirection.Ingress)));
        var linkError = Assert.IsType<BpfLinkException>(error.InnerException);
        Assert.Equal(Errno.ENODEV, linkError.Errno);
        Assert.Contains("no interface has that index", linkError.Message);
    }

    [Fact]
    public void Opening_a_pinned_map_as_a_link_is_refused_with_the_path_and_its_kind()
    {
        Root.Require();
        using var pins = new TestPins();
        var path = pins.PathOf("not_a_link");
        using var map = BpfMap.Create(MapSpec.For<uint, uint>("mbr_notlink", MapType.Array, 1));
        map.Pin(path);
        try
        {
            var error = Assert.Throws<ArgumentException>(() => BpfLink.OpenPinned(path));
            Assert.Equal("path", error.ParamName);
            Assert.Contains(path, error.Message);
            Assert.Contains("pins a map, not a link", error.Message);
        }
        finally
        {
            map.Unpin();
        }
    }
}
