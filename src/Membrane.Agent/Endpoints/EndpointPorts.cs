using System.Collections.Immutable;
using Membrane.Policy.Engine.Identities;

namespace Membrane.Agent.Endpoints;

/// <summary>
/// An endpoint's named ports as the API and its state file write them, <c>{"http": "8080/TCP"}</c>, read with the rules
/// Kubernetes gives container ports. Rules that name a port find it here: on ingress the endpoint's own, on egress the
/// peer's.
/// </summary>
public static class EndpointPorts
{
    /// <summary>More than a pod would ever name; it bounds what one request can make the agent hold.</summary>
    public const int Most = 64;

    /// <summary>The ports, or a <see cref="FormatException"/> naming the first that is wrong (<c>ports.NAME: why</c>).</summary>
    public static ImmutableDictionary<string, NamedPort> Parse(IReadOnlyDictionary<string, string>? ports)
    {
        if (ports is null || ports.Count == 0)
        {
            return ImmutableDictionary<string, NamedPort>.Empty;
        }

        if (ports.Count > Most)
        {
            throw new FormatException($"ports: {ports.Count} ports; an endpoint names at most {Most}");
        }

        var parsed = ImmutableDictionary.CreateBuilder<string, NamedPort>(StringComparer.Ordinal);
        foreach (var (name, value) in ports.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (!NamedPort.IsValidName(name, out var nameError))
            {
                // Quoted and escaped: the name is the client's, and may hold anything.
                throw new FormatException($"ports: {Membrane.Policy.Engine.Labels.LabelSyntax.Quote(name)}: {nameError}");
            }

            if (value is null)
            {
                throw new FormatException($"ports.{name}: a named port is PORT/PROTOCOL, like 8080/TCP");
            }

            if (!NamedPort.TryParse(value, out var port, out var portError))
            {
                throw new FormatException($"ports.{name}: {Membrane.Policy.Engine.Labels.LabelSyntax.Quote(value)}: {portError}");
            }

            parsed[name] = port;
        }

        return parsed.ToImmutable();
    }

    /// <summary>The ports as <see cref="Parse"/> reads them; null for none, so that files without ports stay as they were.</summary>
    public static Dictionary<string, string>? Format(IReadOnlyDictionary<string, NamedPort> ports) =>
        ports.Count == 0 ? null : ports.ToDictionary(p => p.Key, p => p.Value.ToString(), StringComparer.Ordinal);

    /// <summary>Whether two sets of ports are the same names for the same ports.</summary>
    public static bool Same(IReadOnlyDictionary<string, NamedPort> a, IReadOnlyDictionary<string, NamedPort> b) =>
        a.Count == b.Count && a.All(p => b.TryGetValue(p.Key, out var other) && other == p.Value);
}
