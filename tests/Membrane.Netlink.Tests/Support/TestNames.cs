using System.Security.Cryptography;

namespace Membrane.Netlink.Tests.Support;

/// <summary>
/// Names for what the tests create outside the process. Every one starts with <c>mbrnl</c>: <c>mbr</c> as every
/// Membrane test leftover does, <c>nl</c> so these never collide with the BPF toolkit's tests, which run in parallel
/// in another process and use <c>mbr</c> with other kinds.
/// </summary>
internal static class TestNames
{
    /// <summary><c>mbrnl{kind}{6 hex digits}</c>, at most 15 characters (IFNAMSIZ - 1) so it is also an interface name.</summary>
    public static string Unique(string kind)
    {
        var name = $"mbrnl{kind}{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        return name.Length <= 15 && kind.All(char.IsAsciiLetterOrDigit)
            ? name
            : throw new ArgumentException($"kind '{kind}' is too long or not alphanumeric for an interface name", nameof(kind));
    }

    /// <summary>A random octet for the test's own subnets (10.231.X.0/24, fd00:231:X::/48), which no other Membrane
    /// test uses; the BPF toolkit's tests use 10.199.0.0/16.</summary>
    public static int SubnetOctet() => RandomNumberGenerator.GetInt32(0, 256);
}
