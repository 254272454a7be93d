namespace Membrane.Netlink.Protocol;

/// <summary>
/// The one place that knows netlink's alignment: messages (NLMSG_ALIGNTO), route attributes (RTA_ALIGNTO) and generic
/// attributes (NLA_ALIGNTO) all pad to 4 bytes (uapi/linux/netlink.h, uapi/linux/rtnetlink.h). A length field counts
/// the header and payload but never the padding after them, so every walk steps by the aligned length.
/// </summary>
internal static class NetlinkAlignment
{
    public const int Boundary = 4;

    /// <summary>NLMSG_HDRLEN, NLA_HDRLEN: both headers are already a multiple of 4.</summary>
    public const int MessageHeaderLength = 16;

    public const int AttributeHeaderLength = 4;

    public static int Align(int length) => (length + Boundary - 1) & ~(Boundary - 1);
}
