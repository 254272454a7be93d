namespace Membrane.Policy.Diagnostics;

/// <summary>
/// Finds the known name closest to a misspelt one, for did-you-mean hints. A candidate qualifies
/// when it differs only in case, or by an edit distance of at most a third of its length.
/// </summary>
public static class NameSuggester
{
    public static string? Suggest(string written, IEnumerable<string> candidates, int? maxDistance = null)
    {
        string? best = null;
        var bestDistance = int.MaxValue;
        string? lower = null;
        foreach (var candidate in candidates)
        {
            if (string.Equals(candidate, written, StringComparison.OrdinalIgnoreCase))
            {
                return candidate;
            }

            // The distance is at least the difference in length: past the limit, the quadratic
            // distance is not computed at all (a hostile key may be megabytes long).
            var limit = maxDistance ?? Math.Max(1, candidate.Length / 3);
            if (Math.Abs(written.Length - candidate.Length) > limit)
            {
                continue;
            }

            var distance = Distance(lower ??= written.ToLowerInvariant(), candidate.ToLowerInvariant());
            if (distance <= limit && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best;
    }

    /// <summary>The hint text for <see cref="Suggest"/>, or null when nothing is close.</summary>
    public static string? DidYouMean(string written, IEnumerable<string> candidates) =>
        Suggest(written, candidates) is { } match ? $"did you mean \"{match}\"?" : null;

    /// <summary>Optimal string alignment distance: Levenshtein plus adjacent transpositions.</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (var i = 0; i <= a.Length; i++)
        {
            d[i, 0] = i;
        }

        for (var j = 0; j <= b.Length; j++)
        {
            d[0, j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1] == b[j - 1] ? 0 : 1;
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                {
                    d[i, j] = Math.Min(d[i, j], d[i - 2, j - 2] + 1);
                }
            }
        }

        return d[a.Length, b.Length];
    }
}
