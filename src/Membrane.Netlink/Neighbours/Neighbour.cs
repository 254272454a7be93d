using System.Net;
using System.Net.NetworkInformation;

namespace Membrane.Netlink.Neighbours;

/// <summary>An ARP or neighbour-discovery entry, as RTM_GETNEIGH reports it.</summary>
public sealed record Neighbour(int Index, IPAddress Address, PhysicalAddress? LinkLayerAddress, NeighbourState State)
{
    public override string ToString() => $"{Address} dev {Index} lladdr {LinkLayerAddress} {State}";
}
