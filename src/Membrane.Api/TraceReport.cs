using System.Text.Json.Serialization;

namespace Membrane.Api;

/// <summary>
/// A trace: the packet, both sides, notes, the egress decision at the source and the ingress decision at the
/// destination (null where the side is not an endpoint, so Membrane decides nothing there), and the final verdict. The
/// offline <c>policy trace -o json</c> prints this same shape.
/// </summary>
public sealed record TraceReport(
    string Packet,
    TracePeer Source,
    TracePeer Destination,
    IReadOnlyList<string> Notes,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] TraceDecisionInfo? Egress,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.Never)] TraceDecisionInfo? Ingress,
    string Final);
