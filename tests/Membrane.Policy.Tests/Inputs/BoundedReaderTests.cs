using System.Text;
using Membrane.Policy.Inputs;

namespace Membrane.Policy.Tests.Inputs;

public sealed class BoundedReaderTests
{
    public static TheoryData<string, byte[]> Encodings => new()
    {
        { "no mark, UTF-8", Encoding.UTF8.GetBytes("a: \u00e9\u4e2d") },
        { "UTF-8 mark", [.. Encoding.UTF8.Preamble, .. Encoding.UTF8.GetBytes("a: \u00e9")] },
        { "UTF-16 LE mark", [.. Encoding.Unicode.Preamble, .. Encoding.Unicode.GetBytes("a: \u00e9")] },
        { "UTF-16 BE mark", [.. Encoding.BigEndianUnicode.Preamble, .. Encoding.BigEndianUnicode.GetBytes("a: \u00e9")] },
        { "UTF-32 LE mark", [.. Encoding.UTF32.Preamble, .. Encoding.UTF32.GetBytes("a: \u00e9")] },
        { "UTF-32 BE mark", [0, 0, 0xFE, 0xFF, .. new UTF32Encoding(bigEndian: true, byteOrderMark: false).GetBytes("a: \u00e9")] },
        { "invalid UTF-8", [0x61, 0xFF, 0xC3, 0x62] },
        { "empty", [] },
        { "a lone mark", [0xEF, 0xBB, 0xBF] },
    };

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Decodes_as_File_ReadAllText_does(string name, byte[] bytes)
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllBytes(path, bytes);

            Assert.True(BoundedReader.TryReadText(new MemoryStream(bytes), 1 << 20, out var text), name);
            Assert.Equal(File.ReadAllText(path), text);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Reads_a_stream_that_arrives_in_small_pieces_past_the_first_buffer()
    {
        var bytes = Encoding.UTF8.GetBytes(new string('x', 200_000));

        Assert.True(BoundedReader.TryReadText(new TrickleStream(bytes), 200_000, out var text));
        Assert.Equal(200_000, text.Length);
    }

    [Fact]
    public void Refuses_a_stream_one_byte_past_the_limit_without_reading_the_rest()
    {
        var stream = new TrickleStream(new byte[10_000_000]);

        Assert.False(BoundedReader.TryReadText(stream, 100_000, out _));
        Assert.InRange(stream.Position, 100_001, 200_000);
    }

    [Fact]
    public void Refuses_at_once_when_the_expected_size_is_past_the_limit()
    {
        var stream = new TrickleStream(new byte[100]);

        Assert.False(BoundedReader.TryReadText(stream, 10, out _, expectedSize: 100));
        Assert.Equal(0, stream.Position);
    }

    /// <summary>A stream that hands out at most 1000 bytes a read, as a pipe might.</summary>
    private sealed class TrickleStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override int Read(byte[] buffer, int offset, int count) => base.Read(buffer, offset, Math.Min(count, 1000));
    }
}
