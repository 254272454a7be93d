namespace Membrane.Api;

/// <summary>
/// A packet to trace against the agent's live policies and identities, named as <c>policy trace</c> names it: each side
/// by labels (matching one identity on the node) or by address (its identity from the node's IP cache), and exactly
/// one of <see cref="Port"/> (<c>80/TCP</c>) and <see cref="Icmp"/> (<c>EchoRequest/IPv6</c>).
/// </summary>
public sealed record TraceRequestBody(
    string? Source = null,
    string? Destination = null,
    string? SourceIp = null,
    string? DestinationIp = null,
    string? Port = null,
    string? Icmp = null);
