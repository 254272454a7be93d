using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Rules;

namespace Membrane.Policy.Engine.Tracing;

/// <summary>Traces a packet from one identity to another through both endpoints' map states.</summary>
public static class PolicyTracer
{
    public static TraceResult Trace(IReadOnlyList<SubjectRule> rules, IdentitySet identities, Identity source, Identity destination, L4Spec l4)
    {
        var value = IpProtocols.IsIcmp(l4.Protocol) ? (ushort)(l4.IcmpType << 8 | l4.IcmpCode) : l4.Port;
        var egress = source.IsEndpoint
            ? new PolicyResolver(rules, identities, source).State.Decide(TrafficDirection.Egress, destination.Id, l4.Protocol, value)
            : null;
        var ingress = destination.IsEndpoint
            ? new PolicyResolver(rules, identities, destination).State.Decide(TrafficDirection.Ingress, source.Id, l4.Protocol, value)
            : null;
        return new TraceResult(source, destination, l4, egress, ingress);
    }
}
