using System.Text;
using Microsoft.Win32.SafeHandles;

namespace Membrane.Policy.Inputs;

/// <summary>
/// Reads a stream to its end, but never more than a limit: in chunks into a buffer that grows to at most the limit
/// plus one byte, so an endless stream (<c>/dev/zero</c>) costs at most about twice the limit before it is refused.
/// </summary>
public static class BoundedReader
{
    private const int InitialBuffer = 64 << 10;

    // What File.ReadAllText does: UTF-8 unless a byte order mark says otherwise, invalid bytes become U+FFFD.
    private static readonly Encoding Utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    /// <summary>
    /// Reads all of <paramref name="stream"/> and decodes it as <see cref="File.ReadAllText(string)"/> does;
    /// false, with nothing decoded, once the stream has more than <paramref name="limit"/> bytes.
    /// <paramref name="expectedSize"/>, when known (a regular file's size), sizes the buffer in one go.
    /// </summary>
    public static bool TryReadText(Stream stream, long limit, out string text, long expectedSize = 0) =>
        TryReadText(new StreamChunks(stream), limit, out text, expectedSize);

    /// <summary>
    /// <see cref="TryReadText(Stream, long, out string, long)"/> for a regular file's open handle, read from its start
    /// with <c>pread(2)</c>: a <see cref="FileStream"/> around the handle added two <c>lseek(2)</c> calls to each file,
    /// 20,000 in a directory of 10,000 files.
    /// </summary>
    public static bool TryReadText(SafeFileHandle file, long limit, out string text, long expectedSize = 0) =>
        TryReadText(new FileChunks(file), limit, out text, expectedSize);

    private static bool TryReadText<TChunks>(TChunks chunks, long limit, out string text, long expectedSize)
        where TChunks : struct, IChunks
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(limit, InputSize.Maximum);
        text = "";
        if (expectedSize > limit)
        {
            return false;
        }

        // One byte past the expected size, so a file read whole ends with a read that returns 0, not with a resize.
        // Only a stream of unknown size starts at the larger buffer: 64 KiB for each of 10,000 small files was most of
        // what a directory's validation allocated (issue 8). Uninitialised, as every byte used is read into first.
        var buffer = GC.AllocateUninitializedArray<byte>((int)Math.Min(limit + 1, expectedSize > 0 ? expectedSize + 1 : InitialBuffer));
        var length = 0;
        while (true)
        {
            if (length == buffer.Length)
            {
                if (length > limit)
                {
                    return false;
                }

                Array.Resize(ref buffer, (int)Math.Min(limit + 1, 2L * buffer.Length));
            }

            var read = chunks.Read(buffer, length, buffer.Length - length);
            if (read == 0)
            {
                break;
            }

            length += read;
        }

        if (length > limit)
        {
            return false;
        }

        text = Decode(buffer.AsSpan(0, length));
        return true;
    }

    /// <summary>Where the bytes come from; a struct, so the loop calls it directly.</summary>
    private interface IChunks
    {
        /// <summary>Reads the bytes that follow the <paramref name="offset"/> bytes read so far into the buffer at that offset.</summary>
        int Read(byte[] buffer, int offset, int count);
    }

    private readonly struct StreamChunks(Stream stream) : IChunks
    {
        public int Read(byte[] buffer, int offset, int count) => stream.Read(buffer, offset, count);
    }

    private readonly struct FileChunks(SafeFileHandle file) : IChunks
    {
        public int Read(byte[] buffer, int offset, int count) => RandomAccess.Read(file, buffer.AsSpan(offset, count), fileOffset: offset);
    }

    /// <summary>The byte order marks StreamReader detects (UTF-32 LE before UTF-16 LE, whose mark it begins with).</summary>
    internal static string Decode(ReadOnlySpan<byte> bytes)
    {
        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]))
        {
            return Utf8.GetString(bytes[3..]);
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE, 0x00, 0x00]))
        {
            return new UTF32Encoding(bigEndian: false, byteOrderMark: true).GetString(bytes[4..]);
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0x00, 0x00, 0xFE, 0xFF]))
        {
            return new UTF32Encoding(bigEndian: true, byteOrderMark: true).GetString(bytes[4..]);
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xFE]))
        {
            return Encoding.Unicode.GetString(bytes[2..]);
        }

        if (bytes.StartsWith((ReadOnlySpan<byte>)[0xFE, 0xFF]))
        {
            return Encoding.BigEndianUnicode.GetString(bytes[2..]);
        }

        return Utf8.GetString(bytes);
    }
}
