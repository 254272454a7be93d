namespace Membrane.Netlink.Interop;

/// <summary>Netlink message types: the control types of uapi/linux/netlink.h (NLMSG_*) and the rtnetlink requests of
/// uapi/linux/rtnetlink.h (RTM_*) that the library sends or reads.</summary>
internal static class MessageType
{
    public const ushort Noop = 1;      // NLMSG_NOOP
    public const ushort Error = 2;     // NLMSG_ERROR, also the ACK
    public const ushort Done = 3;      // NLMSG_DONE, ends a multi-part dump
    public const ushort Overrun = 4;   // NLMSG_OVERRUN

    public const ushort NewLink = 16;
    public const ushort DeleteLink = 17;
    public const ushort GetLink = 18;
    public const ushort SetLink = 19;
    public const ushort NewAddress = 20;
    public const ushort DeleteAddress = 21;
    public const ushort GetAddress = 22;
    public const ushort NewRoute = 24;
    public const ushort DeleteRoute = 25;
    public const ushort GetRoute = 26;
    public const ushort NewNeighbour = 28;
    public const ushort DeleteNeighbour = 29;
    public const ushort GetNeighbour = 30;
    public const ushort NewQdisc = 36;
    public const ushort DeleteQdisc = 37;
    public const ushort GetQdisc = 38;
    public const ushort NewFilter = 44;
    public const ushort DeleteFilter = 45;
    public const ushort GetFilter = 46;
}
