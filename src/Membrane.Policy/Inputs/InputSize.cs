using System.Globalization;

namespace Membrane.Policy.Inputs;

/// <summary>
/// Sizes as a user writes them, for the input size limit: a number of bytes, optionally with a binary suffix
/// (<c>KiB</c>, <c>MiB</c>, <c>GiB</c>, or the short <c>K</c>, <c>M</c>, <c>G</c>; case does not matter).
/// </summary>
public static class InputSize
{
    /// <summary>64 MiB: about a thousand times the largest real policy sets Membrane was tried on, yet small
    /// enough that reading it, and the documents parsed from it, fit in memory on any node.</summary>
    public const long Default = 64L << 20;

    /// <summary>512 MiB. A .NET string holds at most 2^30 characters, so no limit past 1 GiB could be honoured;
    /// half of that leaves room for the parsed documents.</summary>
    public const long Maximum = 512L << 20;

    private static readonly (string Suffix, int Shift)[] Suffixes =
    [
        ("KiB", 10), ("MiB", 20), ("GiB", 30), ("K", 10), ("M", 20), ("G", 30), ("B", 0),
    ];

    /// <summary>Parses <c>65536</c>, <c>64KiB</c>, <c>64 M</c> and the like; false for anything else, zero, or a
    /// size past <see cref="Maximum"/>.</summary>
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var span = text.AsSpan().Trim();
        var shift = 0;
        foreach (var (suffix, suffixShift) in Suffixes)
        {
            if (span.EndsWith(suffix, StringComparison.OrdinalIgnoreCase))
            {
                span = span[..^suffix.Length].TrimEnd();
                shift = suffixShift;
                break;
            }
        }

        // Digits only: no sign, no exponent, no thousands separators, no hex.
        if (span.IsEmpty || span.ContainsAnyExcept("0123456789") ||
            !long.TryParse(span, NumberStyles.None, CultureInfo.InvariantCulture, out var number) ||
            number > Maximum >> shift)
        {
            return false;
        }

        bytes = number << shift;
        return bytes > 0;
    }

    /// <summary>The size as people read it: <c>64 MiB</c> when it is a whole number of a unit, else bytes.</summary>
    public static string Format(long bytes) => bytes switch
    {
        > 0 when bytes % (1L << 30) == 0 => $"{bytes >> 30} GiB",
        > 0 when bytes % (1L << 20) == 0 => $"{bytes >> 20} MiB",
        > 0 when bytes % (1L << 10) == 0 => $"{bytes >> 10} KiB",
        1 => "1 byte",
        _ => $"{bytes} bytes",
    };
}
