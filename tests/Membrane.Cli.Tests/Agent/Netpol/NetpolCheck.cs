namespace Membrane.Cli.Tests.Agent.Netpol;

/// <summary>A truth table on one port: <see cref="Default"/> for every pair, then each <see cref="Expect"/> line over the pairs it matches.</summary>
public sealed class NetpolCheck
{
    /// <summary><c>80/TCP</c>, <c>81/TCP</c>, <c>80/UDP</c> or <c>81/UDP</c>.</summary>
    public string Port { get; set; } = "80/TCP";

    public bool Default { get; set; }

    public List<NetpolExpectation> Expect { get; set; } = [];

    /// <summary>Whether FROM may reach TO: the default, then every matching line, the last one winning.</summary>
    public bool Expected(string from, string to)
    {
        var allowed = Default;
        foreach (var line in Expect.Where(e => Matches(e.From, from) && Matches(e.To, to)))
        {
            allowed = line.Allowed;
        }

        return allowed;
    }

    private static bool Matches(string pattern, string pod) =>
        pattern == "*" || pattern == pod || (pattern.EndsWith("/*", StringComparison.Ordinal) && pod.StartsWith(pattern[..^1], StringComparison.Ordinal));
}
