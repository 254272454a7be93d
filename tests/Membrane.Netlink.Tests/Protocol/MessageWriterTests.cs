using System.Net;
using Membrane.Netlink.Interop;
using Membrane.Netlink.Protocol;

namespace Membrane.Netlink.Tests.Protocol;

/// <summary>The bytes a request becomes, checked against the layout of uapi/linux/netlink.h by hand.</summary>
public sealed class MessageWriterTests
{
    [Fact]
    public void Attributes_are_padded_to_four_bytes_and_nests_count_their_contents()
    {
        var writer = new MessageWriter();
        writer.Begin(MessageType.NewLink, new IfInfoMsg(), MessageFlags.Create | MessageFlags.Exclusive).Attribute(Attributes.IFLA_IFNAME, "ab");
        var nest = writer.BeginNested(Attributes.IFLA_LINKINFO);
        writer.Attribute(Attributes.IFLA_INFO_KIND, "veth");
        writer.EndNested(nest);
        var bytes = writer.Seal(7, MessageFlags.Request | MessageFlags.Ack).ToArray();

        Assert.Equal(
            Convert.FromHexString(
                "38000000" + "1000" + "0506" + "07000000" + "00000000" +        // nlmsghdr: len 56, RTM_NEWLINK, REQUEST|ACK|EXCL|CREATE, seq 7
                "00000000000000000000000000000000" +                              // ifinfomsg
                "0700" + "0300" + "616200" + "00" +                               // IFLA_IFNAME "ab\0", length 7, padded to 8
                "1000" + "1280" + "0900" + "0100" + "7665746800" + "000000"),     // IFLA_LINKINFO|NLA_F_NESTED { IFLA_INFO_KIND "veth\0" }
            bytes);
    }

    [Fact]
    public void Addresses_go_in_network_order_and_read_back()
    {
        var writer = new MessageWriter();
        writer.Begin(MessageType.NewAddress, new IfAddrMsg()).Attribute(Attributes.IFA_LOCAL, IPAddress.Parse("10.1.2.3"));
        var message = writer.Seal(1, MessageFlags.Request).ToArray();
        Assert.Equal(Convert.FromHexString("080002000A010203"), message[24..]);

        var reader = new AttributeReader(message[24..]);
        Assert.True(reader.MoveNext());
        Assert.Equal((Attributes.IFA_LOCAL, IPAddress.Parse("10.1.2.3")), (reader.Type, reader.ValueAsAddress()));
        Assert.False(reader.MoveNext());
    }

    [Fact]
    public void A_truncated_attribute_ends_the_walk_instead_of_reading_past_the_span()
    {
        var reader = new AttributeReader(Convert.FromHexString("08000100AABBCCDD" + "20000200AA"));
        Assert.True(reader.MoveNext());
        Assert.False(reader.MoveNext());
    }
}
