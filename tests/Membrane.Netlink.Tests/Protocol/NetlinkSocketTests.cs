using System.Runtime.InteropServices;
using Membrane.Netlink.Interop;
using Membrane.Netlink.Protocol;
using Membrane.Netlink.Tests.Support;

namespace Membrane.Netlink.Tests.Protocol;

public sealed class NetlinkSocketTests
{
    [Fact]
    public void A_stale_reply_to_an_abandoned_request_is_never_taken_for_the_next_ones_answer()
    {
        Root.Require();
        using var socket = NetlinkSocket.Open();
        var writer = new MessageWriter();

        // A delete of a missing link, abandoned: its ENODEV error stays queued with the old sequence number.
        writer.Begin(MessageType.DeleteLink, new IfInfoMsg()).Attribute(Attributes.IFLA_IFNAME, "mbrnlnone");
        socket.SendAndAbandon(writer);

        // The next request reads past it to its own ACK: setting lo's MTU to what it is cannot fail.
        writer.Begin(MessageType.SetLink, new IfInfoMsg { Index = 1 }).Attribute(Attributes.IFLA_MTU, 65536);
        socket.Execute(writer, "link set lo mtu 65536");
    }

    [Fact]
    public void Error_reply_with_extended_ack_yields_errno_and_the_kernels_text()
    {
        // nlmsgerr { error = -22, msg = the request's header only (NLM_F_CAPPED) }, then NLMSGERR_ATTR_MSG.
        var payload = new List<byte>();
        payload.AddRange(BitConverter.GetBytes(-22));
        var quoted = new NlMsgHdr { Length = 40, Type = MessageType.NewLink, Flags = 0x605, Sequence = 3, PortId = 99 };
        payload.AddRange(MemoryMarshal.AsBytes(new ReadOnlySpan<NlMsgHdr>(in quoted)).ToArray());
        var text = "bad thing\0"u8.ToArray();
        payload.AddRange(BitConverter.GetBytes((ushort)(4 + text.Length)));
        payload.AddRange(BitConverter.GetBytes(Attributes.NLMSGERR_ATTR_MSG));
        payload.AddRange(text);
        payload.AddRange(new byte[NetlinkAlignment.Align(text.Length) - text.Length]);

        var (errno, message) = NetlinkSocket.ParseError(MessageFlags.Capped | MessageFlags.AckTlvs, payload.ToArray());
        Assert.Equal((Errno.EINVAL, "bad thing"), (errno, message));

        // Without NLM_F_ACK_TLVS there is no text to look for.
        Assert.Equal((Errno.EINVAL, (string?)null), NetlinkSocket.ParseError(MessageFlags.Capped, payload.ToArray()));
    }

    [Fact]
    public void Exception_message_has_the_documented_shape()
    {
        Assert.Equal("link add mbr-web type veth: EEXIST (File exists)", new NetlinkException("link add mbr-web type veth", Errno.EEXIST).Message);
        Assert.Equal("filter add dev mbr-web ingress bpf: EINVAL: the kernel says \"no\"",
            new NetlinkException("filter add dev mbr-web ingress bpf", Errno.EINVAL, "no").Message);
    }
}
