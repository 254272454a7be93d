using Membrane.Policy.Values;

namespace Membrane.Policy.Tests.Values;

/// <summary>Addresses as Go's net/netip reads them: one row per form it accepts or refuses.</summary>
public sealed class IpAddressTextTests
{
    [Theory]
    [InlineData("10.0.0.1", "10.0.0.1")]
    [InlineData("0.0.0.0", "0.0.0.0")]
    [InlineData("255.255.255.255", "255.255.255.255")]
    [InlineData("2001:db8::1", "2001:db8::1")]
    [InlineData("::", "::")]
    [InlineData("::1", "::1")]
    [InlineData("fd00:0:0:0:0:0:0:1", "fd00::1")]
    [InlineData("::ffff:10.0.0.1", "::ffff:10.0.0.1")]
    [InlineData("2001:DB8::A", "2001:db8::a")]
    public void Go_accepts_these_and_so_does_Membrane(string text, string parsed)
    {
        Assert.True(IpAddressText.TryParse(text, out var address, out var error), error);
        Assert.Equal(parsed, address.ToString());
    }

    [Theory]
    [InlineData("10.1", "shortened forms")]
    [InlineData("10.0.1", "shortened forms")]
    [InlineData("167772161", "shortened forms")]
    [InlineData("0x0a000001", "'x' has no place")]
    [InlineData("010.0.0.1", "leading zero")]
    [InlineData("10.0.0.01", "leading zero")]
    [InlineData("256.0.0.1", "at most 255")]
    [InlineData("10.0.0.1.", "four numbers")]
    [InlineData("10..0.1", "four decimal numbers")]
    [InlineData(" 10.0.0.1", "four decimal numbers")]
    [InlineData("[::1]", "without brackets")]
    [InlineData("[::1]:80", "without brackets")]
    [InlineData("fe80::1%eth0", "zone")]
    [InlineData("1::2::3", "at most one")]
    [InlineData("12345::1", "one to four hex digits")]
    [InlineData("1:2:3:4:5:6:7", "eight groups")]
    [InlineData("1:2:3:4:5:6:7:8:9", "eight groups")]
    [InlineData(":1:2:3:4:5:6:7", "eight groups")]
    [InlineData("::ffff:010.0.0.1", "leading zero")]
    [InlineData("", "empty")]
    public void Go_refuses_these_and_so_does_Membrane(string text, string reason)
    {
        Assert.False(IpAddressText.TryParse(text, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Theory]
    [InlineData("10.0.0.0/8", true, "10.0.0.0/8")]
    [InlineData("10.1.2.3/8", true, "10.0.0.0/8")]
    [InlineData("10.0.0.0/0", true, "0.0.0.0/0")]
    [InlineData("2001:db8::/32", true, "2001:db8::/32")]
    [InlineData("10.0.0.0/08", false, "")]
    [InlineData("10.0.0.0/+8", false, "")]
    [InlineData("10.0.0.0/33", false, "")]
    [InlineData("10.0.0.0/", false, "")]
    [InlineData("10.1/16", false, "")]
    [InlineData("[2001:db8::]/32", false, "")]
    public void Prefixes_follow_ParsePrefix(string text, bool valid, string parsed)
    {
        Assert.Equal(valid, Cidr.TryParse(text, allowBareAddress: false, out var cidr, out _));
        if (valid)
        {
            Assert.Equal(parsed, cidr.ToString());
        }
    }
}
