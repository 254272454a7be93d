namespace Membrane.Policy.Values;

using System.Globalization;

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

    public static bool TryParseNumber(string text, out int port) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out port) && port <= 65535;
}
