using System.Globalization;
using System.Numerics;

namespace Membrane.Policy.Source;

/// <summary>Checks on the text of an input and of its scalars that both readers share.</summary>
internal static class SourceText
{
    /// <summary>
    /// The offset of the first NUL character, or -1. YAML (1.2 §5.1) and JSON (RFC 8259 §7) allow no
    /// NUL outside escapes, and YamlDotNet silently stops or skips at one, which would read a
    /// truncated policy as if it were whole.
    /// </summary>
    public static int FirstNul(string text) => text.IndexOf('\0');

    /// <summary>The index of a surrogate that is not part of a valid pair, or -1.</summary>
    public static int InvalidSurrogate(string text)
    {
        var span = text.AsSpan();
        var i = span.IndexOfAnyInRange('\uD800', '\uDFFF');
        if (i < 0)
        {
            return -1;
        }

        for (; i < span.Length; i++)
        {
            if (char.IsHighSurrogate(span[i]) && i + 1 < span.Length && char.IsLowSurrogate(span[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(span[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Line and column (from 1, counting characters) of an offset in the text.</summary>
    public static SourcePosition PositionOf(string file, string text, int offset)
    {
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < offset && i < text.Length; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        return new SourcePosition(file, line, offset - lineStart + 1);
    }

    /// <summary>
    /// The key as it would be after conversion to JSON, where every key is a string: Kubernetes
    /// turns YAML into JSON before decoding, so <c>~</c> and <c>null</c>, or <c>1</c> and
    /// <c>01</c>, are the same key there, and one would silently replace the other.
    /// </summary>
    public static string CanonicalKey(SourceScalar key) => key.Kind switch
    {
        ScalarKind.Null => "null",
        ScalarKind.Boolean => IsTrue(key.Text) ? "true" : "false",
        ScalarKind.Number => CanonicalNumber(key.Text),
        _ => key.Text,
    };

    public static bool IsTrue(string text) => text is "true" or "True" or "TRUE" or "y" or "Y" or "yes" or "Yes" or "YES" or "on" or "On" or "ON";

    private static string CanonicalNumber(string text)
    {
        var span = text.AsSpan();
        if (span.StartsWith("0x"))
        {
            return BigInteger.Parse("0" + text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture).ToString(CultureInfo.InvariantCulture);
        }

        if (span.StartsWith("0o"))
        {
            var value = BigInteger.Zero;
            foreach (var c in span[2..])
            {
                value = (value * 8) + (c - '0');
            }

            return value.ToString(CultureInfo.InvariantCulture);
        }

        return BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)
            ? integer.ToString(CultureInfo.InvariantCulture)
            : double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) ? real.ToString("R", CultureInfo.InvariantCulture) : text;
    }
}
