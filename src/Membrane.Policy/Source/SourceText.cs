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

    /// <summary>
    /// A number key's value as text. Decimal integers are normalised by their digits alone (sign,
    /// leading zeros), in linear time: a hostile file can make a key of millions of digits, and a
    /// BigInteger parse of each, once per pair of keys, took minutes. Other forms are converted
    /// only when short; a longer one stands for itself.
    /// </summary>
    private static string CanonicalNumber(string text)
    {
        var span = text.AsSpan();
        var negative = span.Length > 0 && span[0] == '-';
        var digits = span.Length > 0 && span[0] is '-' or '+' ? span[1..] : span;
        if (digits.Length > 0 && digits.IndexOfAnyExceptInRange('0', '9') < 0)
        {
            var trimmed = digits.TrimStart('0');
            return trimmed.IsEmpty ? "0" : negative ? "-" + trimmed.ToString() : trimmed.ToString();
        }

        if (text.Length > MaxConvertedNumber)
        {
            return text;
        }

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

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) ? real.ToString("R", CultureInfo.InvariantCulture) : text;
    }

    private const int MaxConvertedNumber = 64;
}
