using Membrane.Bpf.Programs;
using Membrane.Netlink;
using Membrane.Netlink.Tc;

namespace Membrane.Datapath.Ebpf.Attachment;

/// <summary>
/// A cls_bpf filter in direct-action mode on the interface's clsact qdisc. The qdisc is added when missing and, if
/// this attachment added it, removed again on detach once no filter is left on either hook, so that a qdisc someone
/// else set up, and the filters on it, are never touched. The attachment keeps a netlink socket open in the target's
/// namespace, so it can detach after that namespace's handle was closed.
/// </summary>
internal sealed class TcClsactAttachment : ProgramAttachment
{
    private readonly Rtnetlink netlink;
    private readonly int ifindex;
    private readonly TcPlacement placement;
    private readonly bool ownsQdisc;
    private bool detached;

    private TcClsactAttachment(
        Rtnetlink netlink, int ifindex, TcPlacement placement, bool ownsQdisc, AttachTarget target, AttachDirection direction, string programName)
        : base(target, direction, programName)
    {
        this.netlink = netlink;
        this.ifindex = ifindex;
        this.placement = placement;
        this.ownsQdisc = ownsQdisc;
    }

    public override AttachMode Mode => AttachMode.TcClsact;

    private TcDirection Hook => Direction == AttachDirection.Ingress ? TcDirection.Ingress : TcDirection.Egress;

    public static TcClsactAttachment Attach(BpfProgram program, AttachTarget target, AttachDirection direction, TcPlacement placement)
    {
        var netlink = target.Namespace is { } networkNamespace ? Rtnetlink.Open(networkNamespace) : Rtnetlink.Open();
        var ownsQdisc = false;
        try
        {
            var ifindex = netlink.GetLink(target.InterfaceName).Index;
            try
            {
                netlink.AddClsact(ifindex);
                ownsQdisc = true;
            }
            catch (NetlinkException error) when (error.Errno == Errno.EEXIST)
            {
            }

            var hook = direction == AttachDirection.Ingress ? TcDirection.Ingress : TcDirection.Egress;
            var added = false;
            program.Handle.DangerousAddRef(ref added);
            try
            {
                // The kernel takes its own reference to the program; the descriptor is needed only for this call.
                netlink.AddBpfFilter(ifindex, hook, new BpfFilterSpec(program.Handle.Value, program.Name)
                {
                    Priority = placement.Priority,
                    Handle = placement.Handle,
                });
            }
            finally
            {
                program.Handle.DangerousRelease();
            }

            return new TcClsactAttachment(netlink, ifindex, placement, ownsQdisc, target, direction, program.Name);
        }
        catch
        {
            if (ownsQdisc)
            {
                DeleteQuietly(() => netlink.DeleteClsact(netlink.GetLink(target.InterfaceName).Index));
            }

            netlink.Dispose();
            throw;
        }
    }

    /// <summary>
    /// See <see cref="ProgramAttachment.Adopt"/>: the filter at <paramref name="placement"/> on the target's hook, kept
    /// if it runs <paramref name="program"/> and replaced in place (RTM_NEWTFILTER without NLM_F_EXCL, so the hook is
    /// never empty) if it runs another; attached anew when there is none. The qdisc is taken as this attachment's to
    /// remove: the agent adopts only filters on host-side veths it made itself.
    /// </summary>
    public static TcClsactAttachment Adopt(BpfProgram program, AttachTarget target, AttachDirection direction, TcPlacement placement)
    {
        var netlink = target.Namespace is { } networkNamespace ? Rtnetlink.Open(networkNamespace) : Rtnetlink.Open();
        try
        {
            var ifindex = netlink.GetLink(target.InterfaceName).Index;
            var hook = direction == AttachDirection.Ingress ? TcDirection.Ingress : TcDirection.Egress;
            var existing = netlink.ListBpfFilters(ifindex, hook).FirstOrDefault(f => f.Priority == placement.Priority && f.Handle == placement.Handle);
            if (existing is null)
            {
                netlink.Dispose();
                return Attach(program, target, direction, placement);
            }

            if (existing.ProgramId != program.Id)
            {
                var added = false;
                program.Handle.DangerousAddRef(ref added);
                try
                {
                    netlink.ReplaceBpfFilter(ifindex, hook, new BpfFilterSpec(program.Handle.Value, program.Name)
                    {
                        Priority = placement.Priority,
                        Handle = placement.Handle,
                    });
                }
                finally
                {
                    program.Handle.DangerousRelease();
                }
            }

            return new TcClsactAttachment(netlink, ifindex, placement, ownsQdisc: true, target, direction, program.Name);
        }
        catch
        {
            netlink.Dispose();
            throw;
        }
    }

    /// <summary>Nothing to pin: the filter stays on the qdisc after this process ends, until Dispose removes it.</summary>
    public override void Pin(string path)
    {
    }

    /// <summary>Nothing to repair: a filter holds its program without a pin.</summary>
    public override Loading.PinRepair? RepairPin(string path) => null;

    public override void Release()
    {
        if (!detached)
        {
            detached = true;
            netlink.Dispose();
        }
    }

    public override void Dispose()
    {
        if (detached)
        {
            return;
        }

        detached = true;
        try
        {
            DeleteQuietly(() => netlink.DeleteBpfFilter(ifindex, Hook, placement.Priority, placement.Handle));
            if (ownsQdisc)
            {
                DeleteQuietly(() =>
                {
                    if (netlink.ListBpfFilters(ifindex, TcDirection.Ingress).Count == 0 &&
                        netlink.ListBpfFilters(ifindex, TcDirection.Egress).Count == 0)
                    {
                        netlink.DeleteClsact(ifindex);
                    }
                });
            }
        }
        finally
        {
            netlink.Dispose();
        }
    }

    /// <summary>Runs a delete; ENODEV, ENOENT and EINVAL mean the interface, filter or qdisc is gone already
    /// (cls_api.c answers a missing qdisc's hook with EINVAL), which is what the delete wanted.</summary>
    private static void DeleteQuietly(Action delete)
    {
        try
        {
            delete();
        }
        catch (NetlinkException error) when (error.Errno is Errno.ENODEV or Errno.ENOENT or Errno.EINVAL)
        {
        }
    }
}
