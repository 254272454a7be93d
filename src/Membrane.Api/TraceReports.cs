using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Engine.Tracing;

namespace Membrane.Api;

/// <summary>A trace as the API gives it, and as the offline <c>policy trace</c> prints it: one shape for both.</summary>
public static class TraceReports
{
    public static TraceReport Of(TraceResult result) => new(
        result.L4.ToString(),
        Peer(result.Source, result.SourceAddress, result.SourceSeen),
        Peer(result.Destination, result.DestinationAddress, result.DestinationSeen),
        [.. result.Notes],
        Decision(result.Egress),
        Decision(result.Ingress),
        result.Final == Verdict.Allow ? "allowed" : "denied");

    private static TracePeer Peer(Identity identity, System.Net.IPAddress? address, Identity? seen) => new(
        address?.ToString(), identity.Id, [.. identity.Labels.Labels.Select(l => l.ToString())],
        address is null ? null : (seen ?? identity).Id);

    private static TraceDecisionInfo? Decision(PolicyDecision? decision) => decision is null ? null : new(
        decision.IsAllowed ? "allowed" : "denied",
        decision.Reason,
        decision.Key?.ToString(),
        [.. (decision.Entry?.Origins ?? (IEnumerable<RuleOrigin>)decision.DefaultDenyOrigins).Select(o =>
            new TraceRuleInfo(o.Kind, o.Namespace, o.Name, o.Path, o.Position.File, o.Position.Line))],
        decision.Entry is null);
}
