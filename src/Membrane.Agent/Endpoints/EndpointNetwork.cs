using System.Net;

namespace Membrane.Agent.Endpoints;

/// <summary>
/// What an endpoint's network is once made: its namespace (named after the endpoint, or adopted), the host-side veth
/// in the node with its index (the datapath's key for the endpoint), the endpoint's eth0, and its two addresses.
/// </summary>
public sealed record EndpointNetwork(
    string Name,
    string NetworkNamespace,
    bool AdoptedNamespace,
    string HostInterface,
    int HostIndex,
    string EndpointInterface,
    IPAddress IPv4,
    IPAddress IPv6);
