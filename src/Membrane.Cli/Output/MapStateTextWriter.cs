using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Icmp;
using Membrane.Policy.Values;

namespace Membrane.Cli.Output;

/// <summary>A map state as a table, one entry a row, with each direction's default first.</summary>
public static class MapStateTextWriter
{
    public static void Write(Identity endpoint, EndpointMapState state, IdentitySet identities, TextWriter output)
    {
        output.WriteLine($"Endpoint {TraceTextWriter.Describe(endpoint)}");
        output.WriteLine($"Ingress default: {Default(state.IngressDefaultDeny)}");
        output.WriteLine($"Egress default:  {Default(state.EgressDefaultDeny)}");
        output.WriteLine();

        var rows = state.Entries.OrderBy(e => e.Key.Direction).ThenBy(e => e.Key.Identity).ThenBy(e => e.Key.Protocol).ThenBy(e => e.Key.Value).ThenBy(e => e.Key.PrefixLength)
            .Select(e => new[]
            {
                e.Key.Direction.ToString().ToUpperInvariant(),
                Peer(e.Key.Identity, identities),
                IpProtocols.Name(e.Key.Protocol),
                L4(e.Key),
                e.Value.Verdict == Verdict.Allow ? "ALLOW" : "DENY",
                string.Join("; ", e.Value.Origins),
            }).ToList();
        string[] header = ["DIRECTION", "PEER", "PROTOCOL", "PORT/ICMP", "VERDICT", "RULE"];
        var widths = header.Select((h, i) => rows.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        output.WriteLine(string.Join("  ", header.Select((h, i) => h.PadRight(widths[i]))).TrimEnd());
        foreach (var row in rows)
        {
            output.WriteLine(string.Join("  ", row.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        }

        output.WriteLine($"{rows.Count} entr{(rows.Count == 1 ? "y" : "ies")}");
    }

    internal static string Default(IReadOnlyCollection<RuleOrigin> origins) =>
        origins.Count == 0 ? "allow (no rule selects this endpoint in this direction)" : $"deny (turned on by {string.Join("; ", origins)})";

    internal static string Peer(uint id, IdentitySet identities) =>
        id == PolicyKey.AnyIdentity ? "any" : identities[id] is { } identity ? $"{id} {identity.Labels}" : id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Ports as a range; ICMP types by name, as the policy language writes them.</summary>
    internal static string L4(PolicyKey key)
    {
        if (!IpProtocols.IsIcmp(key.Protocol) || key.PrefixLength < 8)
        {
            return key.DescribeL4();
        }

        var family = key.Protocol == IpProtocols.IcmpV6 ? IcmpFamily.IPv6 : IcmpFamily.IPv4;
        var type = IcmpTypes.Describe(family, IcmpKeyValue.TypeOf(key.Value));
        return key.PrefixLength == 8 ? type : $"{type} {key.DescribeL4()[(key.DescribeL4().IndexOf("code", StringComparison.Ordinal))..]}";
    }
}
