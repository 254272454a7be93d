using System.Net.NetworkInformation;

namespace Membrane.Netlink.Links;

/// <summary>A network interface as RTM_GETLINK reports it.</summary>
/// <param name="Index">The interface index, unique within its namespace.</param>
/// <param name="Kind">The driver kind from IFLA_INFO_KIND (<c>veth</c>, <c>dummy</c>), or null for devices without
/// rtnl_link_ops (loopback, most hardware).</param>
/// <param name="ParentIndex">IFLA_LINK: for a veth, the peer's index (in the peer's namespace, which may be
/// another); null when the kernel sends none.</param>
/// <param name="OperationalState">IF_OPER_* as <c>ip link</c> prints it: UP, DOWN, LOWERLAYERDOWN, UNKNOWN...</param>
public sealed record Link(
    int Index,
    string Name,
    int Mtu,
    PhysicalAddress? MacAddress,
    bool IsUp,
    string OperationalState,
    string? Kind,
    int? ParentIndex)
{
    public override string ToString() => $"{Index}: {Name} mtu {Mtu} {(IsUp ? "up" : "down")} {OperationalState}";
}
