using System.Collections.Immutable;
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
    public static SourceReadResult Read(string file, string text, SourceLimits? limits = null)
    {
        limits ??= SourceLimits.Default;
        var findings = new SourceFindings();
        if (SourceText.FirstNul(text) is var nul and >= 0)
        {
            findings.Syntax(SourceText.PositionOf(file, text, nul), "JSON syntax error: a NUL character; JSON text cannot contain one outside an escape", code: "MBR1047");
            return new SourceReadResult([], findings.ToImmutable());
        }

        if (text.AsSpan().Trim().IsEmpty)
        {
            findings.Syntax(new SourcePosition(file, 1, 1), "JSON syntax error: the file is empty; a JSON policy file holds an object or a list", code: "MBR1048");
            return new SourceReadResult([], findings.ToImmutable());
        }

        var bytes = Encoding.UTF8.GetBytes(text);
        var documentFindings = new SourceFindings();
        var root = new Reader(file, bytes, limits, findings, documentFindings).ReadDocument();
        return new SourceReadResult(root is null ? [] : [new SourceDocument(root, documentFindings.ToImmutable())], findings.ToImmutable());
    }

    private sealed class Reader(string file, byte[] bytes, SourceLimits limits, SourceFindings findings, SourceFindings documentFindings)
    {
        private readonly LineTable _lines = new(bytes);
        private readonly SourcePath _path = new();
        private SourcePosition _last = new(file, 1, 1);

        public SourceNode? ReadDocument()
        {
            // The library's own depth check would end in its own words; ours comes first.
            var reader = new Utf8JsonReader(bytes, new JsonReaderOptions
            {
                CommentHandling = JsonCommentHandling.Skip,
                AllowTrailingCommas = true,
                MaxDepth = limits.MaxDepth + 2,
            });
            try
            {
                if (!reader.Read())
                {
                    findings.Syntax(new SourcePosition(file, 1, 1), "JSON syntax error: the file holds only comments; a JSON policy file holds an object or a list", code: "MBR1049");
                    return null;
                }

                var root = ReadValue(ref reader, depth: 0);
                if (reader.Read())
                {
                    throw new SourceSyntaxException(_lines.Position(file, reader.TokenStartIndex), "JSON syntax error: more text after the end of the document");
                }

                return root;
            }
            catch (SourceSyntaxException e)
            {
                findings.Syntax(e.Position, e.Message, code: "MBR1050");
            }
            catch (JsonException e)
            {
                var position = e.LineNumber is { } line ? new SourcePosition(file, (int)line + 1, (int)(e.BytePositionInLine ?? 0) + 1) : _last;
                findings.Syntax(position, $"JSON syntax error: {Clean(e.Message)}", code: "MBR1051");
            }
            catch (InvalidOperationException)
            {
                // Utf8JsonReader.GetString throws this for an escape that is not valid UTF-16, such
                // as a lone or reversed surrogate (\ud800, \udc00\ud800).
                findings.Syntax(_last, "JSON syntax error: an invalid Unicode escape (a lone or misordered surrogate) in this string", code: "MBR1052");
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                findings.Syntax(_last, "JSON syntax error: the file is not well-formed JSON after this point", code: "MBR1053");
            }

            return null;
        }

        private SourceNode ReadValue(ref Utf8JsonReader reader, int depth)
        {
            var position = _lines.Position(file, reader.TokenStartIndex);
            _last = position;
            switch (reader.TokenType)
            {
                case JsonTokenType.StartObject:
                    CheckDepth(depth, position);
                    var entries = new List<SourceEntry>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                    {
                        _last = _lines.Position(file, reader.TokenStartIndex);
                        var key = new SourceScalar(_last, reader.GetString()!, ScalarKind.String);
                        reader.Read();
                        _path.PushKey(key.Text);
                        entries.Add(new SourceEntry(key, ReadValue(ref reader, depth + 1)));
                        _path.Pop();
                    }

                    documentFindings.CheckDuplicateKeys(_path, entries);
                    return new SourceMapping(position, entries);

                case JsonTokenType.StartArray:
                    CheckDepth(depth, position);
                    var items = new List<SourceNode>();
                    while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                    {
                        _path.PushIndex(items.Count);
                        items.Add(ReadValue(ref reader, depth + 1));
                        _path.Pop();
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

        private void CheckDepth(int depth, SourcePosition position)
        {
            if (depth >= limits.MaxDepth)
            {
                throw new SourceSyntaxException(position, $"the document nests deeper than {limits.MaxDepth} levels; no policy needs that many");
            }
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
