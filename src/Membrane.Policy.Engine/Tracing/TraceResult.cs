using System.Net;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Rules;

namespace Membrane.Policy.Engine.Tracing;

/// <summary>
/// The answer to "would this packet be allowed, and why?": the egress decision at the source, the
/// ingress decision at the destination (each only where that side is an endpoint Membrane
/// enforces on), and the final verdict: allowed only if every decision allows.
/// </summary>
public sealed record TraceResult(Identity Source, Identity Destination, L4Spec L4, PolicyDecision? Egress, PolicyDecision? Ingress)
{
    /// <summary>The source address as parsed, when the packet was named by one (printed, so a reader sees what was understood).</summary>
    public IPAddress? SourceAddress { get; init; }

    public IPAddress? DestinationAddress { get; init; }

    /// <summary>The source as the destination's ingress policy saw it: the IP cache's identity of the source address, or the source itself.</summary>
    public Identity? SourceSeen { get; init; }

    /// <summary>The destination as the source's egress policy saw it.</summary>
    public Identity? DestinationSeen { get; init; }

    /// <summary>Where an endpoint's labels and its address name different identities, what each side used.</summary>
    public IReadOnlyList<string> Notes { get; init; } = [];

    public Verdict Final => (Egress?.Verdict ?? Verdict.Allow) == Verdict.Allow && (Ingress?.Verdict ?? Verdict.Allow) == Verdict.Allow
        ? Verdict.Allow
        : Verdict.Deny;
}
