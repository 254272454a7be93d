namespace Membrane.Netlink.Interop;

/// <summary><c>nlmsg_flags</c> bits, uapi/linux/netlink.h. The same bits mean different things by message kind: for
/// GET requests 0x100 and 0x200 are ROOT and MATCH (together DUMP), for NEW requests REPLACE and EXCL, and in an
/// NLMSG_ERROR reply CAPPED and ACK_TLVS.</summary>
internal static class MessageFlags
{
    public const ushort Request = 0x1;
    public const ushort Multi = 0x2;
    public const ushort Ack = 0x4;
    public const ushort DumpInterrupted = 0x10;   // NLM_F_DUMP_INTR: the dump changed while it was read

    public const ushort Dump = 0x300;             // NLM_F_ROOT | NLM_F_MATCH

    public const ushort Replace = 0x100;
    public const ushort Exclusive = 0x200;
    public const ushort Create = 0x400;

    public const ushort Capped = 0x100;           // NLM_F_CAPPED: the error quotes only the request's header
    public const ushort AckTlvs = 0x200;          // NLM_F_ACK_TLVS: extended-ack attributes follow
}
