using System.Net;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Engine.Reference;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Engine.Service;
using Membrane.Policy.Engine.Tracing;
using Membrane.Policy.Reading;
using Membrane.Policy.Validation;

namespace Membrane.Policy.Engine.Tests;

/// <summary>Builds a scenario's identities and rules, and turns its flow lines into flows.</summary>
internal sealed class ScenarioWorld
{
    private readonly Dictionary<string, Identity> _named = new(StringComparer.Ordinal);

    public ScenarioWorld(EngineScenario scenario)
    {
        // Through the policy service, as the CLI and the agent load policies: validated, compiled,
        // and the prefixes they name made identities of the node.
        var change = Service.Load([new PolicyText($"{scenario.Name}.yaml", scenario.Policies)]);
        var errors = change.Report.Files.SelectMany(f => f.AllFindings).Where(f => f.Severity == Diagnostics.Severity.Error).ToList();
        Assert.True(change.Applied, "scenario policies must be valid:\n" + string.Join("\n", errors));
        Rules = [.. Service.Rules];

        foreach (var reserved in ReservedIdentities.All)
        {
            _named[reserved.Labels.Labels[0].Key] = reserved;
        }

        foreach (var (name, spec) in scenario.Identities)
        {
            _named[name] = spec switch
            {
                string labels => Identities.AddEndpoint(LabelSet.Parse(labels)),
                Dictionary<object, object> map => Identities.AddEndpoint(
                    LabelSet.Parse((string)map["labels"]),
                    addresses: map.TryGetValue("ips", out var ips) ? ((List<object>)ips).Select(i => IPAddress.Parse((string)i)) : null,
                    namedPorts: map.TryGetValue("namedPorts", out var ports)
                        ? ((Dictionary<object, object>)ports).ToDictionary(kv => (string)kv.Key, kv => NamedPortOf((string)kv.Value))
                        : null),
                _ => throw new InvalidOperationException($"identity {name} must be labels or {{labels, ips, namedPorts}}"),
            };
        }

        Endpoint = _named[scenario.Endpoint];
    }

    public PolicyService Service { get; } = new();

    public IdentitySet Identities => Service.Identities;

    public List<SubjectRule> Rules { get; }

    public Identity Endpoint { get; }

    /// <summary>Parses "ingress web 80/TCP", "egress world icmp EchoRequest/IPv6", "egress ip:10.1.2.3 53/UDP".</summary>
    public Flow ParseFlow(string line)
    {
        var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var direction = words[0] == "ingress" ? TrafficDirection.Ingress : TrafficDirection.Egress;
        var peer = words[1].StartsWith("ip:", StringComparison.Ordinal) ? Identities.Lookup(IPAddress.Parse(words[1][3..])) : _named[words[1]];
        var l4 = words[2] == "icmp" ? L4Spec.ParseIcmp(words[3]) : L4Spec.ParsePort(words[2]);
        return new Flow(direction, peer, l4.Protocol, l4.Port, l4.IcmpType, l4.IcmpCode);
    }

    private static NamedPort NamedPortOf(string text)
    {
        var parts = text.Split('/');
        Membrane.Policy.Values.L4Protocols.TryParse(parts.Length > 1 ? parts[1] : "TCP", out var protocol);
        return new NamedPort(ushort.Parse(parts[0]), protocol);
    }
}
