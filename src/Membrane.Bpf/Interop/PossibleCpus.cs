using System.Globalization;

namespace Membrane.Bpf.Interop;

/// <summary>
/// The number of possible CPUs, which sizes per-CPU map values: the kernel copies one value per possible CPU
/// (<c>for_each_possible_cpu</c> in kernel/bpf/hashtab.c and arraymap.c). Not <c>Environment.ProcessorCount</c>, which
/// counts online CPUs in this process's affinity mask.
/// </summary>
internal static class PossibleCpus
{
    private static readonly Lazy<int> Cached = new(() => Parse(File.ReadAllText("/sys/devices/system/cpu/possible")));

    public static int Count => Cached.Value;

    /// <summary>Counts the CPUs in a list such as <c>0-3,6,8-9</c> (Documentation/ABI: cpu list format).</summary>
    public static int Parse(string list)
    {
        var count = 0;
        foreach (var range in list.Trim().Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var dash = range.IndexOf('-');
            if (dash < 0)
            {
                _ = int.Parse(range, CultureInfo.InvariantCulture);
                count++;
            }
            else
            {
                var first = int.Parse(range.AsSpan(0, dash), CultureInfo.InvariantCulture);
                var last = int.Parse(range.AsSpan(dash + 1), CultureInfo.InvariantCulture);
                count += last - first + 1;
            }
        }

        return count;
    }
}
