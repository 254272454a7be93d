using System.Text;

namespace Membrane.Policy.Source;

/// <summary>
/// The byte order marks (U+FEFF) that begin a document of a YAML stream, which every YAML path takes
/// off the same way before reading. A byte order mark may stand at the start of the stream and may
/// re-specify the encoding at the start of each later document (YAML 1.2 §5.2, §9.1.1): the
/// document prefix is <c>c-byte-order-mark? l-comment*</c>, and a stream may hold a mark after a
/// "..." and its comments, before the next document, or right before a "---" (§9.2, l-yaml-stream).
/// The reading of a file takes off only the first one (<see cref="Inputs.BoundedReader"/>, as
/// <see cref="StreamReader"/> does), and YamlDotNet reads any other as text: "...\n\uFEFF%YAML 1.2\n---"
/// was a document holding the string "\uFEFF%YAML 1.2", not a directive.
/// <para>
/// A mark is taken off where it cannot be content: at the start of a line in a document prefix
/// (after the start of the stream or a "..." line, before the document's first directive, "---" or
/// content line, that line included), and right before a "---" or "..." line. Elsewhere a U+FEFF
/// is left as it is: inside a quoted scalar it is content (§5.2 allows it there), and at the start
/// of any other line of a document, or among its directives, YAML allows none (§5.2, example 5.2);
/// the YamlDotNet path refuses it there at the mark (MBR1061), but in a block scalar's text, which
/// YamlDotNet reads it into. The one valid place left out is a mark before comment lines that end a
/// document not ended with "...", ahead of the next "---": without parsing, those lines cannot be
/// told from a block scalar's, whose text taking the mark would silently change; it is refused.
/// </para>
/// <para>
/// An encoding mark is not text, so positions do not count it, as they do not count the one that
/// opens a file: taking the marks off the text before reading gives both readers, and each part of
/// a split stream (<see cref="YamlStreamSplitter"/>), the same lines and columns.
/// </para>
/// </summary>
internal static class ByteOrderMarks
{
    public const char Mark = '\uFEFF';

    /// <summary>The text without the byte order marks that begin a document; the text itself when it has none.</summary>
    public static string WithoutDocumentMarks(string text) => WithoutDocumentMarks(text, out _);

    /// <summary>
    /// <inheritdoc cref="WithoutDocumentMarks(string)"/> <paramref name="misplacedLine"/>: the first
    /// line (from 1) that a mark starts among a document's directives, where YAML allows none and no
    /// scalar can hold one, so the text is not well-formed from there on; 0 when there is none.
    /// </summary>
    public static string WithoutDocumentMarks(string text, out int misplacedLine)
    {
        misplacedLine = 0;
        if (text.IndexOf(Mark) < 0)
        {
            return text;
        }

        StringBuilder? kept = null;
        var copied = 0;

        // In a prefix: after the start of the stream or a "...", before the document's first line.
        // After a directive no mark may follow until the "---" (l-directive-document: l-directive+ l-explicit-document).
        var prefix = true;
        var directives = false;
        var line = 1;
        for (var i = 0; i < text.Length; line++)
        {
            var lineEnd = text.IndexOf('\n', i);
            var next = lineEnd < 0 ? text.Length : lineEnd + 1;
            var content = After(text, i);
            var start = YamlStreamSplitter.IsMarker(text, content, '-');
            var end = YamlStreamSplitter.IsMarker(text, content, '.');
            var afterDirectives = prefix && directives;
            var mark = !afterDirectives && (prefix || start || end);
            if (start)
            {
                prefix = false;
            }
            else if (end)
            {
                prefix = true;
                directives = false;
            }
            else if (prefix)
            {
                if (content < next && text[content] == '%')
                {
                    directives = true;
                }
                else if (!IsBlankOrComment(text, content, next))
                {
                    // A bare document (§9.1.3) began on this line.
                    prefix = false;
                }
            }

            if (afterDirectives && content > i && misplacedLine == 0)
            {
                misplacedLine = line;
            }

            if (mark && content > i)
            {
                kept ??= new StringBuilder(text.Length);
                kept.Append(text, copied, i - copied);
                copied = content;
            }

            i = next;
        }

        if (kept is null)
        {
            return text;
        }

        kept.Append(text, copied, text.Length - copied);
        return kept.ToString();
    }

    /// <summary>The offset just past the byte order marks at <paramref name="i"/>; <paramref name="i"/> when there are none.</summary>
    public static int After(string text, int i)
    {
        while (i < text.Length && text[i] == Mark)
        {
            i++;
        }

        return i;
    }

    /// <summary>Whether line <paramref name="line"/> (from 1) of the text starts with a byte order mark.</summary>
    public static bool StartsLine(string text, int line)
    {
        var start = 0;
        for (var l = 1; l < line; l++)
        {
            start = text.IndexOf('\n', start) + 1;
            if (start == 0)
            {
                return false;
            }
        }

        return start < text.Length && text[start] == Mark;
    }

    /// <summary>A line that is blank or holds only a comment (l-comment, §6.6).</summary>
    private static bool IsBlankOrComment(string text, int i, int next)
    {
        while (i < next && text[i] is ' ' or '\t' or '\r')
        {
            i++;
        }

        return i == next || text[i] is '\n' or '#';
    }
}
