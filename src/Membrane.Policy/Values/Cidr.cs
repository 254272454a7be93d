using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Membrane.Policy.Values;

/// <summary>
/// An IP prefix as policies write it. Parsing follows Go's netip.ParsePrefix, which Cilium uses:
/// addresses as <see cref="IpAddressText"/> reads them, a decimal length without leading zeros,
/// and host bits beyond the prefix allowed and masked off ("10.1.2.3/8" is 10.0.0.0/8).
/// </summary>
public readonly record struct Cidr(IPAddress Network, int PrefixLength)
{
    public AddressFamily Family => Network.AddressFamily;

    public int MaxLength => Family == AddressFamily.InterNetwork ? 32 : 128;

    public bool IsIPv4 => Family == AddressFamily.InterNetwork;

    /// <summary>Parses "addr/len"; with <paramref name="allowBareAddress"/>, a lone address is a host prefix.</summary>
    public static bool TryParse(string text, bool allowBareAddress, out Cidr cidr, out string error)
    {
        cidr = default;
        var slash = text.IndexOf('/');
        var addressText = slash < 0 ? text : text[..slash];
        if (!IpAddressText.TryParse(addressText, out var address, out var addressError))
        {
            error = $"\"{addressText}\" is not an IPv4 or IPv6 address: {addressError}";
            return false;
        }

        var max = address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        int length;
        if (slash < 0)
        {
            if (!allowBareAddress)
            {
                error = "a prefix needs a length, like 10.0.0.0/8 or 2001:db8::/32";
                return false;
            }

            length = max;
        }
        else if (!TryParseLength(text.AsSpan(slash + 1), max, out length))
        {
            error = $"the prefix length must be a decimal number from 0 to {max}, without a sign or leading zeros";
            return false;
        }

        cidr = new Cidr(Mask(address, length), length);
        error = "";
        return true;
    }

    /// <summary>Whether <paramref name="other"/> lies wholly inside this prefix.</summary>
    public bool Contains(Cidr other) =>
        other.Family == Family && other.PrefixLength >= PrefixLength && Mask(other.Network, PrefixLength).Equals(Network);

    public bool Contains(IPAddress address) =>
        address.AddressFamily == Family && Mask(address, PrefixLength).Equals(Network);

    public override string ToString() => $"{Network}/{PrefixLength}";

    /// <summary>netip.ParsePrefix: decimal digits only, no leading zero ("/08" is refused), at most the family's width.</summary>
    private static bool TryParseLength(ReadOnlySpan<char> text, int max, out int length)
    {
        length = 0;
        if (text.Length is 0 or > 3 || (text.Length > 1 && text[0] == '0'))
        {
            return false;
        }

        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }

            length = (length * 10) + (c - '0');
        }

        return length <= max;
    }

    private static IPAddress Mask(IPAddress address, int length)
    {
        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var bits = Math.Clamp(length - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - bits));
        }

        return new IPAddress(bytes);
    }
}
