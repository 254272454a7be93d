using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Membrane.Netlink.Interop;
using Membrane.Netlink.Neighbours;
using Membrane.Netlink.Protocol;
using static Membrane.Netlink.Interop.Attributes;

namespace Membrane.Netlink;

/// <summary>Neighbours: RTM_GETNEIGH and RTM_DELNEIGH (net/core/neighbour.c).</summary>
public sealed partial class Rtnetlink
{
    /// <summary>The neighbour entries of <paramref name="family"/> on the interface <paramref name="ifindex"/>.</summary>
    public IReadOnlyList<Neighbour> ListNeighbours(int ifindex, AddressFamily family)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifindex);
        writer.Begin(MessageType.GetNeighbour, new NdMsg { Family = FamilyOf(family) });
        var neighbours = DumpOnDevice<Neighbour>(ifindex, device => $"neighbour list dev {device}", ParseNeighbour);
        return neighbours.FindAll(neighbour => neighbour.Index == ifindex);
    }

    /// <summary>
    /// Deletes the learned neighbour entries of <paramref name="family"/> on <paramref name="ifindex"/>, as
    /// <c>ip neigh flush dev X</c> does: permanent and NOARP entries stay, because nobody would relearn them. An entry
    /// that is gone by the time its delete arrives (ENOENT) counts as flushed. Returns how many were deleted.
    /// </summary>
    public int FlushNeighbours(int ifindex, AddressFamily family)
    {
        var flushed = 0;
        foreach (var neighbour in ListNeighbours(ifindex, family))
        {
            if ((neighbour.State & (NeighbourState.Permanent | NeighbourState.NoArp)) != 0)
            {
                continue;
            }

            writer.Begin(MessageType.DeleteNeighbour, new NdMsg { Family = FamilyOf(neighbour.Address), Index = ifindex })
                .Attribute(NDA_DST, neighbour.Address);
            try
            {
                ExecuteOnDevice(ifindex, device => $"neighbour delete {neighbour.Address} dev {device}");
            }
            catch (NetlinkException error) when (error.Errno == Errno.ENOENT)
            {
            }

            flushed++;
        }

        return flushed;
    }

    private static bool ParseNeighbour(ushort type, ReadOnlySpan<byte> payload, out Neighbour neighbour)
    {
        neighbour = null!;
        if (type != MessageType.NewNeighbour || payload.Length < Marshal.SizeOf<NdMsg>())
        {
            return false;
        }

        var message = MemoryMarshal.Read<NdMsg>(payload);
        IPAddress? destination = null;
        PhysicalAddress? linkLayer = null;
        var reader = new AttributeReader(payload[NetlinkAlignment.Align(Marshal.SizeOf<NdMsg>())..]);
        while (reader.MoveNext())
        {
            switch (reader.Type)
            {
                case NDA_DST:
                    destination = reader.ValueAsAddress();
                    break;
                case NDA_LLADDR:
                    linkLayer = new PhysicalAddress(reader.Value.ToArray());
                    break;
            }
        }

        if (destination is null)
        {
            return false;
        }

        neighbour = new Neighbour(message.Index, destination, linkLayer, (NeighbourState)message.State);
        return true;
    }
}
