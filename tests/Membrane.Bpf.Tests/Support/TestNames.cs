using System.Security.Cryptography;

namespace Membrane.Bpf.Tests.Support;

/// <summary>
/// The one way tests name what they create outside the process: network namespaces, interfaces, pin directories and
/// scratch paths. Every name starts with <c>mbr</c>, so a leftover is easy to find and to tell from the host's own
/// (<c>ip netns list | grep mbr</c>).
/// </summary>
internal static class TestNames
{
    /// <summary>IFNAMSIZ - 1 (uapi linux/if.h): an interface name keeps 16 bytes with the terminating NUL.</summary>
    public const int MaxInterfaceNameLength = 15;

    /// <summary>The random part: 6 hex digits, enough that concurrent runs on one host do not collide.</summary>
    private const int SuffixBytes = 3;

    /// <summary>
    /// <c>mbr{kind}_{6 hex digits}</c>, e.g. <c>mbrva_3fa2c1</c>. At most 15 characters, so every name is also a valid
    /// interface name; <c>_</c> rather than <c>-</c> keeps it a valid BPF object name as well.
    /// </summary>
    public static string Unique(string kind)
    {
        ArgumentException.ThrowIfNullOrEmpty(kind);
        var name = $"mbr{kind}_{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(SuffixBytes))}";
        return name.Length <= MaxInterfaceNameLength && kind.All(char.IsAsciiLetterOrDigit)
            ? name
            : throw new ArgumentException(
                $"kind '{kind}' must be at most {MaxInterfaceNameLength - name.Length + kind.Length} ASCII letters or digits, " +
                $"so that '{name}' fits an interface name ({MaxInterfaceNameLength} characters)",
                nameof(kind));
    }
}
