using Membrane.Policy.Inputs;

namespace Membrane.Policy.Tests.Inputs;

public sealed class InputSizeTests
{
    [Theory]
    [InlineData("1", 1L)]
    [InlineData("65536", 65536L)]
    [InlineData("64KiB", 64L << 10)]
    [InlineData("64k", 64L << 10)]
    [InlineData("64 MiB", 64L << 20)]
    [InlineData("64M", 64L << 20)]
    [InlineData("1G", -1L)]
    [InlineData("512MiB", 512L << 20)]
    [InlineData("513MiB", -1L)]
    [InlineData("0", -1L)]
    [InlineData("", -1L)]
    [InlineData("MiB", -1L)]
    [InlineData("-1", -1L)]
    [InlineData("+5", -1L)]
    [InlineData("1.5M", -1L)]
    [InlineData("0x10", -1L)]
    [InlineData("1e6", -1L)]
    [InlineData("10X", -1L)]
    [InlineData("99999999999999999999", -1L)]
    [InlineData("100B", 100L)]
    public void Parses_bytes_with_binary_suffixes_and_refuses_the_rest(string text, long expected)
    {
        var parsed = InputSize.TryParse(text, out var bytes);

        Assert.Equal(expected >= 0, parsed);
        if (parsed)
        {
            Assert.Equal(expected, bytes);
        }
    }

    [Theory]
    [InlineData(64L << 20, "64 MiB")]
    [InlineData(1L << 30, "1 GiB")]
    [InlineData(3L << 10, "3 KiB")]
    [InlineData(1000L, "1000 bytes")]
    [InlineData(1L, "1 byte")]
    public void Formats_in_the_largest_whole_unit(long bytes, string expected) => Assert.Equal(expected, InputSize.Format(bytes));
}
