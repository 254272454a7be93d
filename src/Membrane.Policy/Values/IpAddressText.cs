using System.Net;
using System.Net.Sockets;

namespace Membrane.Policy.Values;

/// <summary>
/// Parses IP addresses as Go's <c>net/netip.ParseAddr</c> does, which Cilium and Kubernetes use,
/// so that an address means to Membrane exactly what it means to them. .NET's
/// <see cref="IPAddress.TryParse(string, out IPAddress)"/> is looser in ways that change meaning:
/// it takes inet_aton forms (<c>10.1</c> is 10.0.0.1, <c>167772161</c> and <c>0x0a000001</c> are
/// 10.0.0.1), leading zeros (<c>010.0.0.1</c>, octal to inet_aton), brackets and ports
/// (<c>[::1]:80</c>). Each is refused here with the reason.
/// </summary>
public static class IpAddressText
{
    public static bool TryParse(string text, out IPAddress address, out string error)
    {
        address = IPAddress.None;
        error = "";
        if (text.Length == 0)
        {
            error = "an empty address";
            return false;
        }

        var valid = text.Contains(':') ? IsIPv6(text, out error) : IsIPv4(text, out error);
        if (!valid)
        {
            return false;
        }

        // The text is now in a form both parsers read alike.
        address = IPAddress.Parse(text);
        return true;
    }

    public static IPAddress? TryParse(string text) => TryParse(text, out var address, out _) ? address : null;

    /// <summary>Four decimal fields of 0-255, without leading zeros (netip: "IPv4 field has octet with leading zero").</summary>
    private static bool IsIPv4(ReadOnlySpan<char> text, out string error)
    {
        error = "";
        if (text.Count('.') != 3 && text.IndexOfAnyExcept("0123456789.") < 0)
        {
            error = "an IPv4 address has four numbers, like 10.0.0.1; shortened forms such as 10.1 mean different addresses to different readers";
            return false;
        }

        var fields = 0;
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && text[i] != '.')
            {
                if (!char.IsAsciiDigit(text[i]))
                {
                    error = text[i] is '[' or ']' or '%' or '/' or 'x' or 'X'
                        ? $"'{text[i]}' has no place in an address; write it as four decimal numbers, like 10.0.0.1"
                        : "an IPv4 address is four decimal numbers from 0 to 255, like 10.0.0.1";
                    return false;
                }

                continue;
            }

            var field = text[start..i];
            if (field.Length == 0 || field.Length > 3)
            {
                error = "an IPv4 address is four decimal numbers from 0 to 255, like 10.0.0.1";
                return false;
            }

            if (field.Length > 1 && field[0] == '0')
            {
                error = "a number in an IPv4 address has a leading zero, which some readers take as octal; remove it";
                return false;
            }

            if (int.Parse(field) > 255)
            {
                error = "each number of an IPv4 address is at most 255";
                return false;
            }

            fields++;
            start = i + 1;
        }

        if (fields != 4)
        {
            error = "an IPv4 address has four numbers, like 10.0.0.1; shortened forms such as 10.1 mean different addresses to different readers";
            return false;
        }

        return true;
    }

    /// <summary>Eight groups of 1-4 hex digits, one "::" at most, an IPv4 tail allowed; no zone, no brackets.</summary>
    private static bool IsIPv6(ReadOnlySpan<char> text, out string error)
    {
        error = "";
        if (text.Contains('%'))
        {
            error = "an address with a zone (%) names an interface, which a policy cannot";
            return false;
        }

        if (text.Contains('[') || text.Contains(']'))
        {
            error = "write an IPv6 address without brackets, like 2001:db8::1";
            return false;
        }

        var compressed = text.IndexOf("::");
        if (compressed >= 0 && text[(compressed + 1)..].IndexOf("::") >= 0)
        {
            error = "an IPv6 address has at most one \"::\"";
            return false;
        }

        var groups = 0;
        var parts = text.ToString().Split(':');
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            if (part.Length == 0)
            {
                // Empty parts come only from the "::" (two when it stands at either end).
                continue;
            }

            if (i == parts.Length - 1 && part.Contains('.'))
            {
                if (!IsIPv4(part, out var v4Error))
                {
                    error = $"the IPv4 part of the IPv6 address: {v4Error}";
                    return false;
                }

                groups += 2;
                continue;
            }

            if (part.Length > 4 || !part.All(char.IsAsciiHexDigit))
            {
                error = "each group of an IPv6 address is one to four hex digits";
                return false;
            }

            groups++;
        }

        var wellFormed = compressed >= 0 ? groups < 8 : groups == 8;
        if (!wellFormed || (compressed < 0 && parts.Any(p => p.Length == 0)) || (text[0] == ':' && !text.StartsWith("::")) || (text[^1] == ':' && !text.EndsWith("::")))
        {
            error = "an IPv6 address has eight groups, or fewer with one \"::\", like 2001:db8::1";
            return false;
        }

        return true;
    }
}
