namespace Membrane.Cluster;

/// <summary>
/// How an agent reaches etcd: its client URLs (<c>http://</c> or <c>https://</c>), and for TLS the CA that signed the
/// servers' certificates and the client's own certificate and key (PEM files). With <c>https://</c> and no CA the
/// machine's trust store decides; a client certificate without a key, or the reverse, is refused.
/// </summary>
public sealed record EtcdOptions(IReadOnlyList<Uri> Endpoints)
{
    public string? CaFile { get; init; }

    public string? CertFile { get; init; }

    public string? KeyFile { get; init; }

    /// <summary>How long one request waits for etcd before it counts as unreachable.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Parses a comma-separated list of client URLs (<c>http://10.0.0.1:2379,https://etcd-2:2379</c>); a
    /// <see cref="FormatException"/> says which entry does not read. All are of one scheme: etcd is reached with TLS or
    /// without, never both.
    /// </summary>
    public static IReadOnlyList<Uri> ParseEndpoints(string text)
    {
        var endpoints = new List<Uri>();
        foreach (var entry in text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (!Uri.TryCreate(entry, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") ||
                uri.AbsolutePath != "/" || !string.IsNullOrEmpty(uri.Query) || !System.Text.RegularExpressions.Regex.IsMatch(entry, @":[0-9]{1,5}/?$"))
            {
                throw new FormatException($"\"{entry}\" is not an etcd client URL such as http://10.0.0.1:2379 or https://etcd-1:2379 (with its port)");
            }

            endpoints.Add(uri);
        }

        if (endpoints.Count == 0)
        {
            throw new FormatException("no etcd endpoint given; give one or more client URLs, such as http://10.0.0.1:2379");
        }

        if (endpoints.Select(e => e.Scheme).Distinct().Count() > 1)
        {
            throw new FormatException("the etcd endpoints mix http and https; give all of one scheme");
        }

        return endpoints;
    }
}
