namespace Membrane.Policy.Values;

/// <summary>Parses <c>protocol</c> values as Cilium does: case-insensitive, empty meaning ANY.</summary>
public static class L4Protocols
{
    public static IReadOnlyList<string> Names { get; } = ["TCP", "UDP", "SCTP", "ANY", "VRRP", "IGMP"];

    /// <summary>Whether the protocol has ports; VRRP and IGMP do not.</summary>
    public static bool HasPorts(L4Protocol protocol) => protocol is L4Protocol.Any or L4Protocol.Tcp or L4Protocol.Udp or L4Protocol.Sctp;

    public static bool TryParse(string? text, out L4Protocol protocol)
    {
        switch (text?.ToUpperInvariant())
        {
            case null or "" or "ANY":
                protocol = L4Protocol.Any;
                return true;
            case "TCP":
                protocol = L4Protocol.Tcp;
                return true;
            case "UDP":
                protocol = L4Protocol.Udp;
                return true;
            case "SCTP":
                protocol = L4Protocol.Sctp;
                return true;
            case "VRRP":
                protocol = L4Protocol.Vrrp;
                return true;
            case "IGMP":
                protocol = L4Protocol.Igmp;
                return true;
            default:
                protocol = default;
                return false;
        }
    }

    public static string Name(L4Protocol protocol) => protocol switch
    {
        L4Protocol.Tcp => "TCP",
        L4Protocol.Udp => "UDP",
        L4Protocol.Sctp => "SCTP",
        L4Protocol.Vrrp => "VRRP",
        L4Protocol.Igmp => "IGMP",
        _ => "ANY",
    };
}
