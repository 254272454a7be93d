using Membrane.Bpf.Links;
using Membrane.Datapath.Ebpf.Attachment;
using Membrane.Datapath.Ebpf.Tests.Support;
using Membrane.Netlink;
using Membrane.Netlink.Tc;

namespace Membrane.Datapath.Ebpf.Tests.Attachment;

/// <summary>
/// A drop-everything program attached through the shared abstraction stops ping between two namespaces, and detaching
/// it lets ping through again, in both modes, both directions: tcx and tc clsact are forced in turn, because this
/// kernel has tcx and Auto would never pick tc here.
/// </summary>
[Collection(DatapathKernelCollection.Name)]
public sealed class ProgramAttachmentTests
{
    public static readonly TheoryData<AttachMode, AttachDirection> Modes = new()
    {
        { AttachMode.TcClsact, AttachDirection.Ingress },
        { AttachMode.TcClsact, AttachDirection.Egress },
        { AttachMode.Tcx, AttachDirection.Ingress },
        { AttachMode.Tcx, AttachDirection.Egress },
    };

    [Theory]
    [MemberData(nameof(Modes))]
    public void Drop_program_stops_ping_and_detaching_restores_it(AttachMode mode, AttachDirection direction)
    {
        Root.Require();
        using var network = new VethNetwork();
        using var drop = VethNetwork.LoadDrop();
        Assert.True(network.PingFromAToBEventually(), "ping should pass before anything is attached");

        var attachment = ProgramAttachment.Attach(drop, new AttachTarget(network.InterfaceA, network.A), direction, mode);
        try
        {
            Assert.Equal(mode, attachment.Mode);
            Assert.Contains(mode == AttachMode.Tcx ? "via tcx" : "via tc clsact", attachment.Description);
            Assert.False(network.PingFromAToB(), $"ping should fail while the drop program is attached ({attachment})");
        }
        finally
        {
            attachment.Dispose();
        }

        Assert.True(network.PingFromAToBEventually(), "ping should pass again after detaching");
        if (mode == AttachMode.TcClsact)
        {
            // The attachment added the clsact qdisc, so it removed it again with its last filter.
            var qdiscs = Command.Run("tc", "-n", network.A.Name!, "qdisc", "show", "dev", network.InterfaceA).Output;
            Assert.DoesNotContain("clsact", qdiscs);
        }
    }

    [Fact]
    public void The_tc_filter_is_direct_action_named_after_the_program_and_visible_to_tc()
    {
        Root.Require();
        using var network = new VethNetwork();
        using var drop = VethNetwork.LoadDrop();
        using var attachment = ProgramAttachment.Attach(
            drop, new AttachTarget(network.InterfaceA, network.A), AttachDirection.Ingress, AttachMode.TcClsact, new TcPlacement(7, 3));

        using var links = Rtnetlink.Open(network.A);
        var filter = Assert.Single(links.ListBpfFilters(links.GetLink(network.InterfaceA).Index, TcDirection.Ingress));
        Assert.Equal(("mbr_drop", (ushort)7, 3u, (ushort)0x0003, true), (filter.Name, filter.Priority, filter.Handle, filter.Protocol, filter.DirectAction));
        Assert.NotEqual(0u, filter.ProgramId);

        var tc = Command.Run("tc", "-n", network.A.Name!, "filter", "show", "dev", network.InterfaceA, "ingress").Output;
        Assert.Contains("pref 7 bpf", tc);
        Assert.Contains("handle 0x3 mbr_drop direct-action", tc);
    }

    /// <summary>
    /// Adopting what an earlier process left, in both modes: an attachment that runs the same program is kept, one
    /// that runs another is replaced by one running this program (there is exactly one afterwards, and it drops), and
    /// disposing the adopted one detaches it.
    /// </summary>
    [Theory]
    [InlineData(AttachMode.Tcx)]
    [InlineData(AttachMode.TcClsact)]
    public void Adopting_keeps_the_same_program_and_replaces_another(AttachMode mode)
    {
        Root.Require();
        using var network = new VethNetwork();
        using var drop = VethNetwork.LoadDrop();
        using var otherDrop = VethNetwork.LoadDrop();
        var pin = $"{TestPinRoot.Path}/mbradopt-{Guid.NewGuid():N}";
        Directory.CreateDirectory(Path.GetDirectoryName(pin)!);
        var target = new AttachTarget(network.InterfaceA, network.A);
        try
        {
            var earlier = ProgramAttachment.Attach(otherDrop, target, AttachDirection.Ingress, mode);
            earlier.Pin(pin);
            earlier.Release(); // as a process that stopped: left in place

            using (var adopted = ProgramAttachment.Adopt(drop, target, AttachDirection.Ingress, mode, pin))
            {
                Assert.Equal([drop.Id], AttachedPrograms(network, mode, pin));
                Assert.False(network.PingFromAToB(), "the adopted attachment drops");
                adopted.Release();
            }

            using (var again = ProgramAttachment.Adopt(drop, target, AttachDirection.Ingress, mode, pin))
            {
                Assert.Equal([drop.Id], AttachedPrograms(network, mode, pin)); // kept, not attached twice
            }

            Assert.True(network.PingFromAToBEventually(), "disposing the adopted attachment detaches it");
        }
        finally
        {
            if (File.Exists(pin))
            {
                File.Delete(pin);
            }

            TestPinRoot.RemoveIfEmpty();
        }
    }

    private static uint[] AttachedPrograms(VethNetwork network, AttachMode mode, string pin)
    {
        if (mode == AttachMode.TcClsact)
        {
            using var links = Rtnetlink.Open(network.A);
            return [.. links.ListBpfFilters(links.GetLink(network.InterfaceA).Index, TcDirection.Ingress).Select(f => f.ProgramId)];
        }

        using var link = BpfLink.OpenPinned(pin);
        return [link.ProgramId];
    }

    [Fact]
    public void A_clsact_qdisc_that_was_there_before_stays_after_detach()
    {
        Root.Require();
        using var network = new VethNetwork();
        using var drop = VethNetwork.LoadDrop();
        using var links = Rtnetlink.Open(network.A);
        var ifindex = links.GetLink(network.InterfaceA).Index;
        links.AddClsact(ifindex);

        ProgramAttachment.Attach(drop, new AttachTarget(network.InterfaceA, network.A), AttachDirection.Egress, AttachMode.TcClsact).Dispose();

        Assert.Empty(links.ListBpfFilters(ifindex, TcDirection.Egress));
        Assert.Contains("clsact", Command.Run("tc", "-n", network.A.Name!, "qdisc", "show", "dev", network.InterfaceA).Output);
        links.DeleteClsact(ifindex);
    }

    [Fact]
    public void Auto_mode_probes_and_picks_tcx_on_this_kernel()
    {
        Root.Require();
        Assert.True(Tcx.IsSupported);
        Assert.Equal(AttachMode.Tcx, ProgramAttachment.ResolveMode(AttachMode.Auto));
        Assert.Equal(AttachMode.TcClsact, ProgramAttachment.ResolveMode(AttachMode.TcClsact));

        using var network = new VethNetwork();
        using var drop = VethNetwork.LoadDrop();
        using var attachment = ProgramAttachment.Attach(drop, new AttachTarget(network.InterfaceA, network.A), AttachDirection.Ingress);
        Assert.Equal(AttachMode.Tcx, attachment.Mode);
    }

    [Fact]
    public void Attaching_to_a_missing_interface_names_it()
    {
        Root.Require();
        using var network = new VethNetwork();
        using var drop = VethNetwork.LoadDrop();
        foreach (var mode in new[] { AttachMode.Tcx, AttachMode.TcClsact })
        {
            var error = Assert.Throws<NetlinkException>(() =>
                ProgramAttachment.Attach(drop, new AttachTarget("mbrdanothere", network.A), AttachDirection.Ingress, mode));
            Assert.Equal("link get mbrdanothere: ENODEV (No such device)", error.Message);
        }
    }

    /// <summary>
    /// The fail-closed backstop (a tc filter that drops everything, far behind the datapath's placement) never runs while
    /// the datapath's program decides, in either mode; once that program is gone (its tcx link closed with no pin, as
    /// when pins are removed and the agent is killed), the backstop drops instead of letting traffic through.
    /// </summary>
    [Theory]
    [MemberData(nameof(Modes))]
    public void The_backstop_drops_only_once_the_program_in_front_of_it_is_gone(AttachMode mode, AttachDirection direction)
    {
        Root.Require();
        using var network = new VethNetwork();
        using var pass = VethNetwork.LoadPass();
        using var backstop = Membrane.Bpf.Programs.BpfProgram.Load(Membrane.Datapath.Ebpf.Generator.DatapathProgramGenerator.Backstop());
        var target = new AttachTarget(network.InterfaceA, network.A);
        using var fallback = ProgramAttachment.Attach(backstop, target, direction, AttachMode.TcClsact, TcPlacement.Backstop);
        var front = ProgramAttachment.Attach(pass, target, direction, mode);
        try
        {
            Assert.True(network.PingFromAToBEventually(), $"the program in front passes everything, so the backstop never runs ({front})");
        }
        finally
        {
            front.Dispose();
        }

        Assert.False(network.PingFromAToB(), "with the program in front gone, the backstop drops");
        fallback.Dispose();
        Assert.True(network.PingFromAToBEventually(), "and without the backstop, traffic flows");
    }
}
