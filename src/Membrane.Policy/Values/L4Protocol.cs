namespace Membrane.Policy.Values;

/// <summary>
/// The protocols a port rule can name. ANY matches TCP, UDP and SCTP. VRRP and IGMP are Cilium's
/// "extended IP protocols": they have no ports and are matched by IP protocol alone.
/// </summary>
public enum L4Protocol
{
    Any,
    Tcp,
    Udp,
    Sctp,
    Vrrp,
    Igmp,
}
