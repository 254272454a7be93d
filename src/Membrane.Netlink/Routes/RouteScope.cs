namespace Membrane.Netlink.Routes;

/// <summary>enum rt_scope_t (uapi/linux/rtnetlink.h): how far a destination is.</summary>
public enum RouteScope : byte
{
    /// <summary>Reached through a gateway, possibly far away.</summary>
    Universe = 0,
    Site = 200,

    /// <summary>Directly on the link: no gateway, the destination answers ARP or neighbour discovery itself.</summary>
    Link = 253,
    Host = 254,
    Nowhere = 255,
}
