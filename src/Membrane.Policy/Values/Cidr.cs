using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Membrane.Policy.Values;

/// <summary>
/// An IP prefix as policies write it. Parsing follows Go's netip, which Cilium uses: dotted-quad
/// IPv4 only (no "10.1" shorthands), no IPv6 zones, and host bits beyond the prefix are allowed
/// and masked off ("10.1.2.3/8" is 10.0.0.0/8).
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
        if (!TryParseAddress(addressText, out var address))
        {
            error = $"\"{addressText}\" is not an IPv4 or IPv6 address";
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
        else if (!int.TryParse(text.AsSpan(slash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out length) || length > max)
        {
            error = $"the prefix length must be a number from 0 to {max}";
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

    private static bool TryParseAddress(string text, out IPAddress address)
    {
        address = IPAddress.None;
        if (text.Contains(':'))
        {
            return !text.Contains('%') && IPAddress.TryParse(text, out address!) && address.AddressFamily == AddressFamily.InterNetworkV6;
        }

        var parts = text.Split('.');
        if (parts.Length != 4 || parts.Any(p => p.Length is 0 or > 3 || !p.All(char.IsAsciiDigit) || (p.Length > 1 && p[0] == '0')))
        {
            return false;
        }

        return IPAddress.TryParse(text, out address!);
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
