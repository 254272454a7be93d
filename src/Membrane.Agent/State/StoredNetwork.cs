using System.Net;
using Membrane.Agent.Endpoints;

namespace Membrane.Agent.State;

/// <summary>An endpoint's network as its state file holds it (addresses as text, so the file reads plainly).</summary>
public sealed record StoredNetwork(
    string NetworkNamespace,
    bool AdoptedNamespace,
    string HostInterface,
    int HostIndex,
    string EndpointInterface,
    [property: System.Text.Json.Serialization.JsonPropertyName("ipv4")] string IPv4,
    [property: System.Text.Json.Serialization.JsonPropertyName("ipv6")] string IPv6)
{
    public static StoredNetwork Of(EndpointNetwork network) => new(
        network.NetworkNamespace, network.AdoptedNamespace, network.HostInterface, network.HostIndex, network.EndpointInterface,
        network.IPv4.ToString(), network.IPv6.ToString());

    /// <summary>The network, or a <see cref="FormatException"/> naming the field that does not read.</summary>
    public EndpointNetwork ToNetwork(string name) => new(
        name, NetworkNamespace, AdoptedNamespace, HostInterface, HostIndex, EndpointInterface, Address(IPv4, "ipv4"), Address(IPv6, "ipv6"));

    private static IPAddress Address(string text, string field) =>
        IPAddress.TryParse(text, out var address) ? address : throw new FormatException($"network.{field}: \"{text}\" is not an address");
}
