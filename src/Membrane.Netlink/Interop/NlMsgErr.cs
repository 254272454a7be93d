using System.Runtime.InteropServices;

namespace Membrane.Netlink.Interop;

/// <summary><c>struct nlmsgerr</c> (uapi/linux/netlink.h): the payload of NLMSG_ERROR, which is also the ACK (error 0).
/// <see cref="Error"/> is a negated errno. With NETLINK_CAP_ACK the kernel copies only the header of the request into
/// <see cref="Request"/> (and sets NLM_F_CAPPED); with NETLINK_EXT_ACK, extended-ack attributes (NLMSGERR_ATTR_*)
/// follow, flagged NLM_F_ACK_TLVS.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NlMsgErr
{
    public int Error;
    public NlMsgHdr Request;
}
