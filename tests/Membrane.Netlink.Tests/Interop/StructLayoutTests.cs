using System.Runtime.InteropServices;
using System.Runtime.CompilerServices;
using Membrane.Netlink.Interop;

namespace Membrane.Netlink.Tests.Interop;

/// <summary>
/// Checks every netlink struct against its uapi header without a C compiler, as the BPF toolkit's attr layout test
/// does: sizes and offsets transcribed field by field from Linux 6.18 include/uapi/linux/netlink.h, rtnetlink.h,
/// if_link.h (via rtnetlink.h), if_addr.h and neighbour.h.
/// </summary>
public sealed class StructLayoutTests
{
    public static readonly TheoryData<Type, string, int> Fields = new()
    {
        { typeof(NlMsgHdr), nameof(NlMsgHdr.Length), 0 },           // __u32 nlmsg_len
        { typeof(NlMsgHdr), nameof(NlMsgHdr.Type), 4 },             // __u16 nlmsg_type
        { typeof(NlMsgHdr), nameof(NlMsgHdr.Flags), 6 },            // __u16 nlmsg_flags
        { typeof(NlMsgHdr), nameof(NlMsgHdr.Sequence), 8 },         // __u32 nlmsg_seq
        { typeof(NlMsgHdr), nameof(NlMsgHdr.PortId), 12 },          // __u32 nlmsg_pid
        { typeof(NlMsgErr), nameof(NlMsgErr.Error), 0 },            // int error
        { typeof(NlMsgErr), nameof(NlMsgErr.Request), 4 },          // struct nlmsghdr msg
        { typeof(SockaddrNl), nameof(SockaddrNl.Family), 0 },       // __kernel_sa_family_t nl_family
        { typeof(SockaddrNl), nameof(SockaddrNl.Pid), 4 },          // __u32 nl_pid (after unsigned short nl_pad)
        { typeof(SockaddrNl), nameof(SockaddrNl.Groups), 8 },       // __u32 nl_groups
        { typeof(IfInfoMsg), nameof(IfInfoMsg.Family), 0 },         // unsigned char ifi_family
        { typeof(IfInfoMsg), nameof(IfInfoMsg.Type), 2 },           // unsigned short ifi_type (after __ifi_pad)
        { typeof(IfInfoMsg), nameof(IfInfoMsg.Index), 4 },          // int ifi_index
        { typeof(IfInfoMsg), nameof(IfInfoMsg.Flags), 8 },          // unsigned ifi_flags
        { typeof(IfInfoMsg), nameof(IfInfoMsg.Change), 12 },        // unsigned ifi_change
        { typeof(IfAddrMsg), nameof(IfAddrMsg.Family), 0 },         // __u8 ifa_family
        { typeof(IfAddrMsg), nameof(IfAddrMsg.PrefixLength), 1 },   // __u8 ifa_prefixlen
        { typeof(IfAddrMsg), nameof(IfAddrMsg.Flags), 2 },          // __u8 ifa_flags
        { typeof(IfAddrMsg), nameof(IfAddrMsg.Scope), 3 },          // __u8 ifa_scope
        { typeof(IfAddrMsg), nameof(IfAddrMsg.Index), 4 },          // __u32 ifa_index
        { typeof(RtMsg), nameof(RtMsg.Family), 0 },                 // unsigned char rtm_family
        { typeof(RtMsg), nameof(RtMsg.DestinationLength), 1 },      // unsigned char rtm_dst_len
        { typeof(RtMsg), nameof(RtMsg.SourceLength), 2 },           // unsigned char rtm_src_len
        { typeof(RtMsg), nameof(RtMsg.Tos), 3 },                    // unsigned char rtm_tos
        { typeof(RtMsg), nameof(RtMsg.Table), 4 },                  // unsigned char rtm_table
        { typeof(RtMsg), nameof(RtMsg.Protocol), 5 },               // unsigned char rtm_protocol
        { typeof(RtMsg), nameof(RtMsg.Scope), 6 },                  // unsigned char rtm_scope
        { typeof(RtMsg), nameof(RtMsg.Type), 7 },                   // unsigned char rtm_type
        { typeof(RtMsg), nameof(RtMsg.Flags), 8 },                  // unsigned rtm_flags
        { typeof(NdMsg), nameof(NdMsg.Family), 0 },                 // __u8 ndm_family
        { typeof(NdMsg), nameof(NdMsg.Index), 4 },                  // __s32 ndm_ifindex (after ndm_pad1, ndm_pad2)
        { typeof(NdMsg), nameof(NdMsg.State), 8 },                  // __u16 ndm_state
        { typeof(NdMsg), nameof(NdMsg.Flags), 10 },                 // __u8 ndm_flags
        { typeof(NdMsg), nameof(NdMsg.Type), 11 },                  // __u8 ndm_type
        { typeof(TcMsg), nameof(TcMsg.Family), 0 },                 // unsigned char tcm_family
        { typeof(TcMsg), nameof(TcMsg.Index), 4 },                  // int tcm_ifindex (after tcm__pad1, tcm__pad2)
        { typeof(TcMsg), nameof(TcMsg.Handle), 8 },                 // __u32 tcm_handle
        { typeof(TcMsg), nameof(TcMsg.Parent), 12 },                // __u32 tcm_parent
        { typeof(TcMsg), nameof(TcMsg.Info), 16 },                  // __u32 tcm_info
    };

    public static readonly TheoryData<Type, int> Sizes = new()
    {
        { typeof(NlMsgHdr), 16 },
        { typeof(NlMsgErr), 20 },
        { typeof(SockaddrNl), 12 },
        { typeof(IfInfoMsg), 16 },
        { typeof(IfAddrMsg), 8 },
        { typeof(RtMsg), 12 },
        { typeof(NdMsg), 12 },
        { typeof(TcMsg), 20 },
    };

    [Theory]
    [MemberData(nameof(Fields))]
    public void Field_sits_at_its_uapi_offset(Type type, string field, int offset) =>
        Assert.Equal(offset, (int)Marshal.OffsetOf(type, field));

    [Theory]
    [MemberData(nameof(Sizes))]
    public void Struct_has_its_uapi_size(Type type, int size)
    {
        Assert.Equal(size, Marshal.SizeOf(type));
        // The managed size is what MemoryMarshal reads and writes; it must agree with the marshalled one.
        var unmanagedSize = typeof(Unsafe).GetMethod(nameof(Unsafe.SizeOf))!.MakeGenericMethod(type).Invoke(null, null);
        Assert.Equal(size, (int)unmanagedSize!);
    }
}
