namespace Membrane.Netlink.Interop;

/// <summary>
/// Attribute type numbers of the uapi headers the library speaks, under their uapi names so they can be searched for,
/// each transcribed from Linux 6.18. Only the attributes the library writes or reads are listed.
/// </summary>
internal static class Attributes
{
    /// <summary>NLA_TYPE_MASK (uapi/linux/netlink.h): NLA_F_NESTED and NLA_F_NET_BYTEORDER share the type field.</summary>
    public const ushort NLA_TYPE_MASK = 0x3FFF;

    /// <summary>NLA_F_NESTED: set on attributes that hold attributes; the kernel's strict policies require it for
    /// newer nests, and older ones ignore it.</summary>
    public const ushort NLA_F_NESTED = 0x8000;

    // enum nlmsgerr_attrs, uapi/linux/netlink.h.
    public const ushort NLMSGERR_ATTR_MSG = 1;    // a NUL-terminated string
    public const ushort NLMSGERR_ATTR_OFFS = 2;   // u32 offset of the offending attribute in the request

    // IFLA_*, uapi/linux/if_link.h.
    public const ushort IFLA_ADDRESS = 1;
    public const ushort IFLA_IFNAME = 3;
    public const ushort IFLA_MTU = 4;
    public const ushort IFLA_LINK = 5;
    public const ushort IFLA_OPERSTATE = 16;
    public const ushort IFLA_LINKINFO = 18;
    public const ushort IFLA_NET_NS_FD = 28;
    public const ushort IFLA_INFO_KIND = 1;      // inside IFLA_LINKINFO
    public const ushort IFLA_INFO_DATA = 2;      // inside IFLA_LINKINFO
    public const ushort VETH_INFO_PEER = 1;      // inside IFLA_INFO_DATA of a veth (uapi/linux/veth.h)

    // IFA_*, uapi/linux/if_addr.h. IFA_ADDRESS is the prefix (peer) address, IFA_LOCAL the local one; they differ only
    // on point-to-point links, and IPv6 sends IFA_ADDRESS alone.
    public const ushort IFA_ADDRESS = 1;
    public const ushort IFA_LOCAL = 2;
    public const ushort IFA_FLAGS = 8;

    // RTA_*, uapi/linux/rtnetlink.h.
    public const ushort RTA_DST = 1;
    public const ushort RTA_OIF = 4;
    public const ushort RTA_GATEWAY = 5;
    public const ushort RTA_PRIORITY = 6;
    public const ushort RTA_PREFSRC = 7;
    public const ushort RTA_TABLE = 15;

    // NDA_*, uapi/linux/neighbour.h.
    public const ushort NDA_DST = 1;
    public const ushort NDA_LLADDR = 2;

    // TCA_*, uapi/linux/rtnetlink.h, and TCA_BPF_*, uapi/linux/pkt_cls.h.
    public const ushort TCA_KIND = 1;
    public const ushort TCA_OPTIONS = 2;
    public const ushort TCA_BPF_FD = 6;
    public const ushort TCA_BPF_NAME = 7;
    public const ushort TCA_BPF_FLAGS = 8;
    public const ushort TCA_BPF_ID = 11;

    /// <summary>TCA_BPF_FLAG_ACT_DIRECT: the program's return value is the tc action (TC_ACT_*), so no separate gact
    /// action is needed; programs written for tcx expect exactly this.</summary>
    public const uint TCA_BPF_FLAG_ACT_DIRECT = 1;
}
