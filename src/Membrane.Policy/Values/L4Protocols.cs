namespace Membrane.Policy.Values;

/// <summary>Reads <c>protocol</c> values of <c>toPorts</c>, through the one vocabulary of <see cref="IpProtocols"/>.</summary>
public static class L4Protocols
{
    public static IReadOnlyList<string> Names => IpProtocols.PortRuleNames;

    /// <summary>Whether the protocol has ports; VRRP and IGMP do not.</summary>
    public static bool HasPorts(L4Protocol protocol) => protocol is L4Protocol.Any or L4Protocol.Tcp or L4Protocol.Udp or L4Protocol.Sctp;

    public static bool TryParse(string? text, out L4Protocol protocol) => IpProtocols.TryParsePortRule(text, out protocol);

    public static string Name(L4Protocol protocol) => IpProtocols.Name(protocol);
}
