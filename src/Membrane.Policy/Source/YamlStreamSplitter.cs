namespace Membrane.Policy.Source;

/// <summary>
/// Splits a YAML stream into its documents' texts without parsing them, so that a file of
/// thousands of documents can be read on every core. YAML forbids a line that starts with "---" or
/// "..." followed by a space or the end of the line inside any document's content (YAML 1.2
/// c-forbidden, §9.1.4), so such a line always begins or ends a document. Directives belong to the
/// document that follows them (§6.8), and may stand only at the start of the stream or after a "..."
/// (§9.2): the lines between either of those and the next "---" stay with that "---"'s document, so
/// each document is read with its own %YAML, and a directive is never cut off from its document.
/// </summary>
public static class YamlStreamSplitter
{
    /// <summary>One document's text: where it starts in the stream, its length, and its first line (from 1).</summary>
    public readonly record struct Chunk(int Start, int Length, int FirstLine);

    public static List<Chunk> Split(string text)
    {
        var chunks = new List<Chunk>();
        var chunkStart = 0;
        var chunkLine = 1;

        // Where the document prefix (directives, comments, blank lines, §9.1.3) that the next "---"
        // takes with it begins: the start of the stream, then the line after each "..."; -1 once
        // a document's content has begun, where only a "---" line can begin the next document.
        var prefixStart = 0;
        var prefixLine = 1;
        var line = 1;
        for (var i = 0; i < text.Length;)
        {
            var end = text.IndexOf('\n', i);
            var next = end < 0 ? text.Length : end + 1;

            // Byte order marks may stand right before a "---" or "..." (§9.2); the readers take them off.
            var marker = ByteOrderMarks.After(text, i);
            if (IsMarker(text, marker, '-'))
            {
                var start = prefixStart >= 0 ? prefixStart : i;
                var startLine = prefixStart >= 0 ? prefixLine : line;
                if (start > chunkStart)
                {
                    chunks.Add(new Chunk(chunkStart, start - chunkStart, chunkLine));
                }

                chunkStart = start;
                chunkLine = startLine;
                prefixStart = -1;
            }
            else if (IsMarker(text, marker, '.'))
            {
                prefixStart = next;
                prefixLine = line + 1;
            }
            else if (prefixStart >= 0 && !IsPrefixLine(text, i, next))
            {
                // A bare document (§9.1.3) began here; it takes no directives, so the next "---"
                // begins a document of its own.
                prefixStart = -1;
            }

            i = next;
            line++;
        }

        if (chunkStart < text.Length || chunks.Count == 0)
        {
            chunks.Add(new Chunk(chunkStart, text.Length - chunkStart, chunkLine));
        }

        return chunks;
    }

    /// <summary>
    /// A "---" or "..." line at <paramref name="i"/>: the marker followed by white space or the end of
    /// the line, which YAML forbids inside any document's content (c-forbidden, §9.1.4).
    /// </summary>
    internal static bool IsMarker(string text, int i, char c) =>
        i + 3 <= text.Length && text[i] == c && text[i + 1] == c && text[i + 2] == c
        && (i + 3 == text.Length || text[i + 3] is ' ' or '\t' or '\r' or '\n');

    /// <summary>
    /// A line of a document prefix: blank, a comment, or a directive. A "%" that starts a line
    /// outside a document can only begin a directive: it is an indicator, which no plain scalar
    /// starts with (§7.3.3). Byte order marks may open a prefix (§5.2, §9.1.1).
    /// </summary>
    private static bool IsPrefixLine(string text, int i, int next)
    {
        i = ByteOrderMarks.After(text, i);

        if (i < next && text[i] == '%')
        {
            return true;
        }

        while (i < next && text[i] is ' ' or '\t' or '\r')
        {
            i++;
        }

        return i == next || text[i] is '\n' or '#';
    }
}
