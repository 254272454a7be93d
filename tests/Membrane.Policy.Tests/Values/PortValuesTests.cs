using Membrane.Policy.Values;

namespace Membrane.Policy.Tests.Values;

/// <summary>Ports read as Cilium reads them: strconv.ParseUint(s, 0, 16) after the port-name check.</summary>
public sealed class PortValuesTests
{
    [Theory]
    [InlineData("0", 0)]
    [InlineData("80", 80)]
    [InlineData("65535", 65535)]
    [InlineData("010", 8)]
    [InlineData("0777", 511)]
    [InlineData("1_000", 1000)]
    [InlineData("0_10", 8)]
    public void Numbers_mean_what_Go_reads(string text, int port)
    {
        Assert.True(PortValues.TryParseNumber(text, out var parsed));
        Assert.Equal(port, parsed);
    }

    [Theory]
    [InlineData("080")]
    [InlineData("09")]
    [InlineData("65536")]
    [InlineData("-1")]
    [InlineData("+80")]
    [InlineData("_80")]
    [InlineData("80_")]
    [InlineData("8__0")]
    [InlineData(" 80")]
    [InlineData("")]
    public void Go_refuses_these(string text)
    {
        Assert.False(PortValues.TryParseNumber(text, out _));
    }

    [Theory]
    [InlineData("0x50", true)]
    [InlineData("http", true)]
    [InlineData("0b1", true)]
    [InlineData("010", false)]
    [InlineData("1_000", false)]
    public void A_text_with_a_letter_is_a_port_name_first(string text, bool isName)
    {
        Assert.Equal(isName, PortValues.IsServiceName(text));
    }

    [Theory]
    [InlineData("80", true)]
    [InlineData("0", true)]
    [InlineData("010", false)]
    [InlineData("1_000", false)]
    [InlineData("+8", false)]
    public void Plain_decimal_is_the_form_every_reader_agrees_on(string text, bool plain)
    {
        Assert.Equal(plain, PortValues.IsPlainDecimal(text));
    }
}
