using System.Globalization;

namespace Membrane.Bpf;

/// <summary>A kernel release as major.minor.patch, parsed from <c>/proc/sys/kernel/osrelease</c> (what
/// <c>uname -r</c> prints), for messages. Features are probed, never gated on it: backports make the version misleading.</summary>
public readonly record struct KernelVersion(int Major, int Minor, int Patch) : IComparable<KernelVersion>
{
    private static readonly Lazy<KernelVersion> RunningKernel =
        new(() => Parse(File.ReadAllText("/proc/sys/kernel/osrelease")));

    /// <summary>The running kernel.</summary>
    public static KernelVersion Current => RunningKernel.Value;

    /// <summary>Parses a release such as <c>6.18.44-fc-v669</c>: the leading numbers count, any suffix is ignored.</summary>
    public static KernelVersion Parse(string release)
    {
        Span<int> parts = stackalloc int[3];
        var span = release.AsSpan().Trim();
        for (var i = 0; i < 3 && !span.IsEmpty; i++)
        {
            var digits = 0;
            while (digits < span.Length && char.IsAsciiDigit(span[digits]))
            {
                digits++;
            }

            if (digits == 0)
            {
                if (i < 2)
                {
                    throw new FormatException($"'{release}' is not a kernel release (major.minor[.patch])");
                }

                break;
            }

            parts[i] = int.Parse(span[..digits], CultureInfo.InvariantCulture);
            span = span[digits..];
            if (span.IsEmpty || span[0] != '.')
            {
                if (i < 1)
                {
                    throw new FormatException($"'{release}' is not a kernel release (major.minor[.patch])");
                }

                break;
            }

            span = span[1..];
        }

        return new KernelVersion(parts[0], parts[1], parts[2]);
    }

    public int CompareTo(KernelVersion other) =>
        Major != other.Major ? Major.CompareTo(other.Major)
        : Minor != other.Minor ? Minor.CompareTo(other.Minor)
        : Patch.CompareTo(other.Patch);

    public static bool operator <(KernelVersion left, KernelVersion right) => left.CompareTo(right) < 0;

    public static bool operator >(KernelVersion left, KernelVersion right) => left.CompareTo(right) > 0;

    public static bool operator <=(KernelVersion left, KernelVersion right) => left.CompareTo(right) <= 0;

    public static bool operator >=(KernelVersion left, KernelVersion right) => left.CompareTo(right) >= 0;

    public override string ToString() => $"{Major}.{Minor}.{Patch}";
}
