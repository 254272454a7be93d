namespace Membrane.Api;

/// <summary>An endpoint as the agent reports it (<c>membrane endpoint get NAME -o json</c>).</summary>
public sealed record EndpointInfo(
    string Name,
    string Namespace,
    string Netns,
    uint Identity,
    IReadOnlyList<string> Labels,
    string Ipv4,
    string Ipv6,
    string HostInterface,
    int HostIfindex);
