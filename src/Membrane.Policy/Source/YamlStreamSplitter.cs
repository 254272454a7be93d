namespace Membrane.Policy.Source;

/// <summary>
/// Splits a YAML stream into its documents' texts without parsing them, so that a file of
/// thousands of documents can be read on every core. YAML forbids a line that starts with "---" or
/// "..." followed by a space or the end of the line inside any document's content (YAML 1.2
/// c-forbidden, §9.1.4), so such a line always begins or ends a document. Directives after a "..."
/// belong to the next document and stay with it.
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
        var afterDocumentEnd = -1;
        var afterDocumentEndLine = 0;
        var line = 1;
        for (var i = 0; i < text.Length;)
        {
            var end = text.IndexOf('\n', i);
            var next = end < 0 ? text.Length : end + 1;
            if (IsMarker(text, i, '-'))
            {
                // A document begins here, or, after a "...", where the "..." line ended.
                var start = afterDocumentEnd >= 0 ? afterDocumentEnd : i;
                var startLine = afterDocumentEnd >= 0 ? afterDocumentEndLine : line;
                if (start > chunkStart)
                {
                    chunks.Add(new Chunk(chunkStart, start - chunkStart, chunkLine));
                }

                chunkStart = start;
                chunkLine = startLine;
                afterDocumentEnd = -1;
            }
            else if (IsMarker(text, i, '.'))
            {
                afterDocumentEnd = next;
                afterDocumentEndLine = line + 1;
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

    private static bool IsMarker(string text, int i, char c) =>
        i + 3 <= text.Length && text[i] == c && text[i + 1] == c && text[i + 2] == c
        && (i + 3 == text.Length || text[i + 3] is ' ' or '\t' or '\r' or '\n');
}
