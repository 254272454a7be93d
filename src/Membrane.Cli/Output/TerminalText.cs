using System.Globalization;
using System.Text;

namespace Membrane.Cli.Output;

/// <summary>
/// Makes text from the input safe to print on a terminal. A policy is written by someone else: a
/// value or a file name holding ESC (0x1B), other C0 or C1 controls, or Unicode bidirectional
/// overrides could move the cursor, rewrite earlier lines, retitle the window or hide text, so
/// each such character is shown as an escape (<c>\x1b</c>, <c>\u202e</c>) instead.
/// </summary>
public static class TerminalText
{
    public static string Escape(string text) => Escape(text, keepNewlines: false);

    /// <summary>Escapes as <see cref="Escape(string)"/> does, but keeps line breaks: for whole blocks of output.</summary>
    public static string Escape(string text, bool keepNewlines)
    {
        var span = text.AsSpan();
        var i = 0;
        while (i < span.Length && !NeedsEscape(span[i], keepNewlines))
        {
            i++;
        }

        if (i == span.Length)
        {
            return text;
        }

        var builder = new StringBuilder(text.Length + 16);
        builder.Append(span[..i]);
        for (; i < span.Length; i++)
        {
            var c = span[i];
            if (!NeedsEscape(c, keepNewlines))
            {
                builder.Append(c);
            }
            else if (c == '\t')
            {
                builder.Append("\\t");
            }
            else if (c == '\n')
            {
                builder.Append("\\n");
            }
            else if (c == '\r')
            {
                builder.Append("\\r");
            }
            else if (c <= 0xFF)
            {
                builder.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
            }
        }

        return builder.ToString();
    }

    /// <summary>C0 and C1 controls, DEL, and the bidirectional formatting characters (Trojan Source, CVE-2021-42574).</summary>
    private static bool NeedsEscape(char c, bool keepNewlines) =>
        (c < 0x20 && !(keepNewlines && c == '\n')) || c is >= '\u007f' and <= '\u009f' || c is >= '\u202a' and <= '\u202e' || c is >= '\u2066' and <= '\u2069' || c is '\u200e' or '\u200f' or '\u061c';
}
