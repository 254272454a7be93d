namespace Membrane.Datapath.Encoding;

/// <summary>One conntrack entry as people read it (<c>membrane bpf ct list</c>).</summary>
public sealed record ConntrackRow(
    uint EndpointId,
    string Direction,
    string Protocol,
    string Source,
    string Destination,
    string Ports,
    string State,
    double SecondsLeft);
