using System.Text;
using System.Text.Json;

namespace Membrane.Policy.Source;

/// <summary>
/// Reads JSON into <see cref="SourceNode"/> trees. It uses <see cref="Utf8JsonReader"/> rather than
/// the YAML parser because JSON allows tabs where YAML does not, and the corpus has such files.
/// Positions come from the token's byte offset, turned into a line and a character column.
/// </summary>
public static class JsonSourceReader
{
    private static readonly JsonReaderOptions Options = new()
    {
        CommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        MaxDepth = 256,
    };

    public static SourceNode Read(string file, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var lines = new LineTable(bytes);
        var reader = new Utf8JsonReader(bytes, Options);
        try
        {
            if (!reader.Read())
            {
                throw new SourceSyntaxException(new SourcePosition(file, 1, 1), "JSON syntax error: the file is empty");
            }

            var root = ReadValue(ref reader, file, lines);
            if (reader.Read())
            {
                throw new SourceSyntaxException(lines.Position(file, reader.TokenStartIndex), "JSON syntax error: more text after the end of the document");
            }

            return root;
        }
        catch (JsonException e)
        {
            var line = (int)(e.LineNumber ?? 0) + 1;
            var column = (int)(e.BytePositionInLine ?? 0) + 1;
            throw new SourceSyntaxException(new SourcePosition(file, line, column), $"JSON syntax error: {Clean(e.Message)}", e);
        }
    }

    private static SourceNode ReadValue(ref Utf8JsonReader reader, string file, LineTable lines)
    {
        var position = lines.Position(file, reader.TokenStartIndex);
        switch (reader.TokenType)
        {
            case JsonTokenType.StartObject:
                var entries = new List<SourceEntry>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var key = new SourceScalar(lines.Position(file, reader.TokenStartIndex), reader.GetString()!, ScalarKind.String);
                    reader.Read();
                    entries.Add(new SourceEntry(key, ReadValue(ref reader, file, lines)));
                }

                return new SourceMapping(position, entries);

            case JsonTokenType.StartArray:
                var items = new List<SourceNode>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    items.Add(ReadValue(ref reader, file, lines));
                }

                return new SourceSequence(position, items);

            case JsonTokenType.String:
                return new SourceScalar(position, reader.GetString()!, ScalarKind.String);
            case JsonTokenType.Number:
                return new SourceScalar(position, Encoding.UTF8.GetString(reader.ValueSpan), ScalarKind.Number);
            case JsonTokenType.True:
                return new SourceScalar(position, "true", ScalarKind.Boolean);
            case JsonTokenType.False:
                return new SourceScalar(position, "false", ScalarKind.Boolean);
            case JsonTokenType.Null:
                return new SourceScalar(position, "null", ScalarKind.Null);
            default:
                throw new SourceSyntaxException(position, $"JSON syntax error: unexpected {reader.TokenType}");
        }
    }

    private static string Clean(string message)
    {
        // System.Text.Json appends "LineNumber: x | BytePositionInLine: y."; we report it ourselves.
        var index = message.IndexOf(" LineNumber:", StringComparison.Ordinal);
        return index >= 0 ? message[..index].TrimEnd('.', ' ') : message;
    }

    /// <summary>Byte offsets of line starts, to turn a token's offset into a line and column.</summary>
    private sealed class LineTable
    {
        private readonly byte[] _bytes;
        private readonly List<int> _starts = [0];

        public LineTable(byte[] bytes)
        {
            _bytes = bytes;
            for (var i = 0; i < bytes.Length; i++)
            {
                if (bytes[i] == (byte)'\n')
                {
                    _starts.Add(i + 1);
                }
            }
        }

        public SourcePosition Position(string file, long offset)
        {
            var index = _starts.BinarySearch((int)offset);
            var line = index >= 0 ? index : ~index - 1;
            var column = 1;
            for (var i = _starts[line]; i < offset; i++)
            {
                // Count characters, not bytes: skip UTF-8 continuation bytes.
                if ((_bytes[i] & 0xC0) != 0x80)
                {
                    column++;
                }
            }

            return new SourcePosition(file, line + 1, column);
        }
    }
}
