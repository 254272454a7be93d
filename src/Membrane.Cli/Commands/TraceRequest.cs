namespace Membrane.Cli.Commands;

/// <summary>The options of <c>membrane policy trace</c>.</summary>
public sealed record TraceRequest(
    string[] Files,
    string? Source,
    string? Destination,
    string? SourceIp,
    string? DestinationIp,
    string? Port,
    string? Icmp,
    string? IdentitiesFile);
