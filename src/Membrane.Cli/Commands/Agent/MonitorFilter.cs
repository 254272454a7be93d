using Membrane.Api;

namespace Membrane.Cli.Commands.Agent;

/// <summary>What <c>membrane monitor</c> shows: every condition given must hold; suppression counts always show.</summary>
public sealed record MonitorFilter(string? Type, string? Verdict, string? Protocol, string? IcmpType, IReadOnlyList<string> FromLabels, IReadOnlyList<string> ToLabels)
{
    public bool Matches(MonitorEvent e)
    {
        if (e.Type == MonitorEvent.TypeSuppressed)
        {
            return true;
        }

        return (Type is null || e.Type == Type)
            && (Verdict is null || string.Equals(e.Verdict, Verdict, StringComparison.OrdinalIgnoreCase) ||
                (Verdict.Equals("allowed", StringComparison.OrdinalIgnoreCase) && e.Verdict == "FORWARDED"))
            && (Protocol is null || ProtocolMatches(e.Protocol, Protocol))
            && (IcmpType is null || (e.IcmpType is { } t && (IcmpType == t.ToString(System.Globalization.CultureInfo.InvariantCulture) ||
                string.Equals(IcmpType, e.IcmpTypeName, StringComparison.OrdinalIgnoreCase))))
            && FromLabels.All(l => e.Source?.Labels.Any(have => LabelMatches(have, l)) == true)
            && ToLabels.All(l => e.Destination?.Labels.Any(have => LabelMatches(have, l)) == true);
    }

    private static bool ProtocolMatches(string have, string wanted) => wanted.ToLowerInvariant() switch
    {
        "icmp" or "icmpv4" => have == "ICMPv4",
        "icmpv6" => have == "ICMPv6",
        var other => string.Equals(have, other, StringComparison.OrdinalIgnoreCase),
    };

    /// <summary>A label given without a source (<c>app=web</c>) matches any source, as selectors do.</summary>
    private static bool LabelMatches(string have, string wanted) =>
        string.Equals(have, wanted, StringComparison.Ordinal) ||
        (!wanted.Contains(':', StringComparison.Ordinal) && have.EndsWith(":" + wanted, StringComparison.Ordinal));
}
