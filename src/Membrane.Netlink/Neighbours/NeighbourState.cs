namespace Membrane.Netlink.Neighbours;

/// <summary>NUD_* (uapi/linux/neighbour.h): the state of a neighbour-table entry.</summary>
[Flags]
public enum NeighbourState : ushort
{
    None = 0x00,
    Incomplete = 0x01,
    Reachable = 0x02,
    Stale = 0x04,
    Delay = 0x08,
    Probe = 0x10,
    Failed = 0x20,

    /// <summary>The device needs no resolution (loopback, point-to-point).</summary>
    NoArp = 0x40,

    /// <summary>Added by an administrator; never expires.</summary>
    Permanent = 0x80,
}
