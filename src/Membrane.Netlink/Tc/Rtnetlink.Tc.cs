using System.Net;
using System.Runtime.InteropServices;
using Membrane.Netlink.Interop;
using Membrane.Netlink.Protocol;
using Membrane.Netlink.Tc;
using static Membrane.Netlink.Interop.Attributes;

namespace Membrane.Netlink;

/// <summary>
/// tc: the clsact qdisc (net/sched/sch_ingress.c) and cls_bpf filters on it (net/sched/cls_bpf.c), which is how a
/// SCHED_CLS program is attached on kernels without tcx (before Linux 6.6). The handles are those of
/// uapi/linux/pkt_sched.h: clsact is TC_H_CLSACT (ffff:fff1), its ingress hook ffff:fff2 and egress hook ffff:fff3.
/// </summary>
public sealed partial class Rtnetlink
{
    private const uint TC_H_CLSACT = 0xFFFF_FFF1;       // also the clsact qdisc's parent (== TC_H_INGRESS)
    private const uint ClsactHandle = 0xFFFF_0000;      // TC_H_MAKE(TC_H_CLSACT, 0)
    private const uint ClsactIngress = 0xFFFF_FFF2;     // TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS)
    private const uint ClsactEgress = 0xFFFF_FFF3;      // TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS)
    private const ushort ETH_P_ALL = 0x0003;            // uapi/linux/if_ether.h: every protocol

    /// <summary>Adds the clsact qdisc to <paramref name="ifindex"/>; EEXIST when it is there already.</summary>
    public void AddClsact(int ifindex)
    {
        BeginClsact(MessageType.NewQdisc, ifindex, MessageFlags.Create | MessageFlags.Exclusive);
        ExecuteOnDevice(ifindex, device => $"qdisc add dev {device} clsact");
    }

    /// <summary>Deletes the clsact qdisc of <paramref name="ifindex"/>, and every filter on it with it.</summary>
    public void DeleteClsact(int ifindex)
    {
        BeginClsact(MessageType.DeleteQdisc, ifindex, 0);
        ExecuteOnDevice(ifindex, device => $"qdisc delete dev {device} clsact");
    }

    /// <summary>Adds a direct-action bpf filter; EEXIST when one with that priority and handle exists.</summary>
    public void AddBpfFilter(int ifindex, TcDirection direction, BpfFilterSpec filter) =>
        ModifyBpfFilter(ifindex, direction, filter, MessageFlags.Create | MessageFlags.Exclusive, "add");

    /// <summary>Adds the filter, or swaps the program of the one with the same priority and handle atomically: no
    /// packet goes unfiltered in between (NLM_F_CREATE without EXCL, as <c>tc filter replace</c> sends).</summary>
    public void ReplaceBpfFilter(int ifindex, TcDirection direction, BpfFilterSpec filter) =>
        ModifyBpfFilter(ifindex, direction, filter, MessageFlags.Create, "replace");

    public void DeleteBpfFilter(int ifindex, TcDirection direction, ushort priority, uint handle)
    {
        BeginFilter(MessageType.DeleteFilter, ifindex, direction, priority, handle, 0).Attribute(TCA_KIND, "bpf");
        ExecuteOnDevice(ifindex, device => $"filter delete dev {device} {Hook(direction)} pref {priority} handle 0x{handle:x} bpf");
    }

    /// <summary>The bpf filters on one clsact hook of <paramref name="ifindex"/>.</summary>
    public IReadOnlyList<BpfFilter> ListBpfFilters(int ifindex, TcDirection direction)
    {
        BeginFilter(MessageType.GetFilter, ifindex, direction, priority: 0, handle: 0, flags: 0);
        return DumpOnDevice(ifindex, device => $"filter list dev {device} {Hook(direction)}",
            (ushort type, ReadOnlySpan<byte> payload, out BpfFilter filter) => ParseFilter(type, payload, direction, out filter));
    }

    private void ModifyBpfFilter(int ifindex, TcDirection direction, BpfFilterSpec filter, ushort flags, string verb)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfNegative(filter.ProgramFd);
        ArgumentOutOfRangeException.ThrowIfZero(filter.Priority);
        ArgumentOutOfRangeException.ThrowIfZero(filter.Handle);
        BeginFilter(MessageType.NewFilter, ifindex, direction, filter.Priority, filter.Handle, flags).Attribute(TCA_KIND, "bpf");
        var options = writer.BeginNested(TCA_OPTIONS);
        writer.Attribute(TCA_BPF_FD, filter.ProgramFd)
            .Attribute(TCA_BPF_NAME, filter.Name)
            .Attribute(TCA_BPF_FLAGS, TCA_BPF_FLAG_ACT_DIRECT);
        writer.EndNested(options);
        ExecuteOnDevice(ifindex, device => $"filter {verb} dev {device} {Hook(direction)} bpf");
    }

    private void BeginClsact(ushort type, int ifindex, ushort flags)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifindex);
        writer.Begin(type, new TcMsg { Index = ifindex, Handle = ClsactHandle, Parent = TC_H_CLSACT }, flags)
            .Attribute(TCA_KIND, "clsact");
    }

    /// <summary>tcm_info packs the priority and the protocol in network order: TC_H_MAKE(prio &lt;&lt; 16, htons(proto)).</summary>
    private MessageWriter BeginFilter(ushort type, int ifindex, TcDirection direction, ushort priority, uint handle, ushort flags)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifindex);
        var protocol = priority == 0 ? 0u : (ushort)IPAddress.HostToNetworkOrder((short)ETH_P_ALL);
        var message = new TcMsg
        {
            Index = ifindex,
            Handle = handle,
            Parent = direction == TcDirection.Ingress ? ClsactIngress : ClsactEgress,
            Info = ((uint)priority << 16) | protocol,
        };
        return writer.Begin(type, message, flags);
    }

    private static string Hook(TcDirection direction) => direction == TcDirection.Ingress ? "ingress" : "egress";

    private static bool ParseFilter(ushort type, ReadOnlySpan<byte> payload, TcDirection direction, out BpfFilter filter)
    {
        filter = null!;
        if (type != MessageType.NewFilter || payload.Length < Marshal.SizeOf<TcMsg>())
        {
            return false;
        }

        var message = MemoryMarshal.Read<TcMsg>(payload);
        string? kind = null, name = null;
        uint programId = 0, flags = 0;
        var reader = new AttributeReader(payload[NetlinkAlignment.Align(Marshal.SizeOf<TcMsg>())..]);
        while (reader.MoveNext())
        {
            switch (reader.Type)
            {
                case TCA_KIND:
                    kind = reader.ValueAsString();
                    break;
                case TCA_OPTIONS:
                    var options = new AttributeReader(reader.Value);
                    while (options.MoveNext())
                    {
                        switch (options.Type)
                        {
                            case TCA_BPF_NAME:
                                name = options.ValueAsString();
                                break;
                            case TCA_BPF_ID:
                                programId = options.ValueAsUInt32();
                                break;
                            case TCA_BPF_FLAGS:
                                flags = options.ValueAsUInt32();
                                break;
                        }
                    }

                    break;
            }
        }

        // A dump also reports each priority's classifier itself, with handle 0 and no options; only filters count.
        if (kind != "bpf" || message.Handle == 0)
        {
            return false;
        }

        filter = new BpfFilter(
            message.Index,
            direction,
            (ushort)(message.Info >> 16),
            message.Handle,
            (ushort)IPAddress.NetworkToHostOrder((short)(message.Info & 0xFFFF)),
            name,
            programId,
            (flags & TCA_BPF_FLAG_ACT_DIRECT) != 0);
        return true;
    }
}
