using Membrane.Bpf.Links;
using Membrane.Bpf.Programs;
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
        using var drop = BpfProgram.Load(Support.Programs.Returning("mbr_drop", Support.Programs.TcActShot));
        Assert.True(network.PingFromAToBEventually(), "ping should pass before anything is attached");

        var link = AttachInA(network, drop, TcxDirection.Ingress);
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
    public void Explicit_detach_works_while_the_link_is_still_open()
    {
        Root.Require();
        using var network = new TestNetwork();
        using var drop = BpfProgram.Load(Support.Programs.Returning("mbr_drop", Support.Programs.TcActShot));
        Assert.True(network.PingFromAToBEventually());

        using var link = AttachInA(network, drop, TcxDirection.Egress);
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
        using (var drop = BpfProgram.Load(Support.Programs.Returning("mbr_drop", Support.Programs.TcActShot)))
        {
            Assert.True(network.PingFromAToBEventually());
            using var link = AttachInA(network, drop, TcxDirection.Ingress);
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
    public void Attaching_to_a_missing_interface_says_so()
    {
        Root.Require();
        using var network = new TestNetwork();
        using var drop = BpfProgram.Load(Support.Programs.Returning("mbr_drop", Support.Programs.TcActShot));
        var error = Assert.Throws<InvalidOperationException>(() =>
            InNetworkNamespace.Run(network.NamespaceA, () => Tcx.Attach(drop, 999_999, TcxDirection.Ingress)));
        var linkError = Assert.IsType<BpfLinkException>(error.InnerException);
        Assert.Equal(Errno.ENODEV, linkError.Errno);
        Assert.Contains("no interface has that index", linkError.Message);
    }

    private static BpfLink AttachInA(TestNetwork network, BpfProgram program, TcxDirection direction) =>
        InNetworkNamespace.Run(network.NamespaceA, () =>
            Tcx.Attach(program, InNetworkNamespace.InterfaceIndex(network.InterfaceA), direction));
}
