namespace Membrane.Api;

/// <summary>A live conntrack entry (<c>membrane bpf ct list</c>): whose it is, the flow, its state and the lifetime left.</summary>
public sealed record ConntrackEntryInfo(string? Endpoint, string Direction, string Protocol, string Source, string Destination, string Ports, string State, double SecondsLeft);
