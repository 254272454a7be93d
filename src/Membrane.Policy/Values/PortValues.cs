namespace Membrane.Policy.Values;


/// <summary>
/// Port numbers and port names. A name follows IANA service-name syntax (RFC 6335 section 5.1):
/// 1-15 characters of lower-case letters, digits and '-', at least one letter, no '-' at either end
/// and no "--". Anything else must be a number from 0 to 65535.
/// </summary>
public static class PortValues
{
    public static bool IsServiceName(string text)
    {
        if (text.Length is 0 or > 15 || text[0] == '-' || text[^1] == '-' || text.Contains("--", StringComparison.Ordinal))
        {
            return false;
        }

        var hasLetter = false;
        foreach (var c in text)
        {
            if (char.IsAsciiLetter(c))
            {
                hasLetter = true;
            }
            else if (!char.IsAsciiDigit(c) && c != '-')
            {
                return false;
            }
        }

        return hasLetter;
    }

    /// <summary>
    /// Reads a numeric port as Cilium does, with Go's <c>strconv.ParseUint(s, 0, 16)</c>: a leading
    /// 0 makes the rest octal (<c>"010"</c> is 8, <c>"080"</c> is no number), and underscores may
    /// separate digits. Prefixes with letters (<c>0x50</c>) never get here: they are valid port
    /// names, and Cilium checks for a name first. Membrane must never read another number than
    /// Cilium would, so this is the one reading of a port's text; validation warns when it is not
    /// plain decimal.
    /// </summary>
    public static bool TryParseNumber(string text, out int port)
    {
        port = 0;
        if (text.Length == 0 || !IsGoUnderscoreOk(text))
        {
            return false;
        }

        var octal = text.Length > 1 && text[0] == '0';
        var radix = octal ? 8 : 10;
        foreach (var c in octal ? text.AsSpan(1) : text.AsSpan())
        {
            if (c == '_')
            {
                continue;
            }

            if (!char.IsAsciiDigit(c) || c - '0' >= radix)
            {
                return false;
            }

            port = (port * radix) + (c - '0');
            if (port > 65535)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Decimal digits without a sign, underscores or a leading zero: the one form every reader agrees on.</summary>
    public static bool IsPlainDecimal(string text) =>
        text.Length > 0 && (text.Length == 1 || text[0] != '0') && text.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0;

    /// <summary>
    /// Go's rule for underscores in a number (strconv's underscoreOK): each one stands between two
    /// digits, or between a base prefix (here the octal 0) and a digit.
    /// </summary>
    private static bool IsGoUnderscoreOk(string text)
    {
        if (!text.Contains('_'))
        {
            return true;
        }

        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '_')
            {
                continue;
            }

            var before = i > 0 && char.IsAsciiDigit(text[i - 1]);
            var after = i + 1 < text.Length && char.IsAsciiDigit(text[i + 1]);
            if (!before || !after)
            {
                return false;
            }
        }

        return true;
    }
}
