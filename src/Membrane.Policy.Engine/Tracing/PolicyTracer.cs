using Membrane.Policy.Icmp;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Tracing;

/// <summary>
/// Traces a packet from one identity to another through both endpoints' map states. Each side
/// resolves only the keys that can decide this packet (<see cref="PolicyResolver.ResolveFor"/>),
/// so a trace costs the same with 100 identities as with 100,000.
/// </summary>
public static class PolicyTracer
{
    public static TraceResult Trace(IReadOnlyList<SubjectRule> rules, Identity source, Identity destination, L4Spec l4) =>
        Trace(rules, source, destination, l4, source, destination);

    /// <summary>
    /// Traces with each side's peer as the other side's datapath sees it. The source endpoint's
    /// egress policy meets <paramref name="destinationSeen"/> (what the destination address maps to
    /// in the IP cache), and the destination's ingress policy meets <paramref name="sourceSeen"/>.
    /// Each equals the named endpoint unless an address says otherwise.
    /// </summary>
    public static TraceResult Trace(IReadOnlyList<SubjectRule> rules, Identity source, Identity destination, L4Spec l4, Identity sourceSeen, Identity destinationSeen)
    {
        var value = IpProtocols.IsIcmp(l4.Protocol) ? IcmpKeyValue.Of(l4.IcmpType, l4.IcmpCode) : l4.Port;
        var egress = source.IsEndpoint
            ? PolicyResolver.ResolveFor(rules, source, TrafficDirection.Egress, destinationSeen).Decide(TrafficDirection.Egress, destinationSeen.Id, l4.Protocol, value)
            : null;
        var ingress = destination.IsEndpoint
            ? PolicyResolver.ResolveFor(rules, destination, TrafficDirection.Ingress, sourceSeen).Decide(TrafficDirection.Ingress, sourceSeen.Id, l4.Protocol, value)
            : null;
        return new TraceResult(source, destination, l4, egress, ingress) { SourceSeen = sourceSeen, DestinationSeen = destinationSeen };
    }
}
