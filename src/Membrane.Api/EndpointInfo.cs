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
    int HostIfindex)
{
    /// <summary>The ports it names (<c>{"http": "8080/TCP"}</c>); empty when it names none.</summary>
    public IReadOnlyDictionary<string, string> Ports { get; init; } = new Dictionary<string, string>();
}
