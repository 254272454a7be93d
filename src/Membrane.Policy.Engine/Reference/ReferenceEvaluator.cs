using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Reference;

/// <summary>
/// Decides a flow straight from the compiled rules: no map state, no key encoding, no prefix
/// splitting, no longest-prefix lookups. It exists to be compared with
/// <see cref="MapState.EndpointMapState.Decide"/>; where they disagree, one of them is wrong.
/// </summary>
public static class ReferenceEvaluator
{
    public static Verdict Decide(IEnumerable<SubjectRule> rules, Identity endpoint, Flow flow)
    {
        var selecting = rules.Where(r => r.Subject.Matches(endpoint.Labels)).ToList();
        var allowed = false;
        foreach (var rule in selecting.SelectMany(r => r.Rules).Where(r => r.Direction == flow.Direction))
        {
            if (!rule.Peers.Any(p => p.Matches(flow.Peer)) || !rule.L4.Any(l4 => Matches(l4, rule.Direction, endpoint, flow)))
            {
                continue;
            }

            if (rule.Verdict == Verdict.Deny)
            {
                return Verdict.Deny;
            }

            allowed = true;
        }

        if (allowed)
        {
            return Verdict.Allow;
        }

        var defaultDeny = selecting.Any(r => flow.Direction == TrafficDirection.Ingress ? r.DefaultDenyIngress : r.DefaultDenyEgress);
        return defaultDeny ? Verdict.Deny : Verdict.Allow;
    }

    private static bool Matches(L4Match l4, TrafficDirection direction, Identity endpoint, Flow flow) => l4 switch
    {
        AllTraffic => true,
        PortRange range => range.Protocol == flow.Protocol && flow.Port >= range.Low && flow.Port <= range.High,
        NamedPortMatch named => (direction == TrafficDirection.Ingress ? endpoint : flow.Peer).NamedPorts.TryGetValue(named.Name, out var port)
            && port.Port == flow.Port && named.Protocols.Contains(flow.Protocol) && IpProtocols.Of(port.Protocol).Contains(flow.Protocol),
        IcmpL4Match icmp => icmp.Protocol == flow.Protocol && icmp.Icmp.Type == flow.IcmpType
            && (icmp.Icmp.AllCodes || icmp.Icmp.Codes.Any(c => c.Contains(flow.IcmpCode))),
        _ => false,
    };
}
