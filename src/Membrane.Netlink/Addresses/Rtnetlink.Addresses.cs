using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Membrane.Netlink.Addresses;
using Membrane.Netlink.Interop;
using Membrane.Netlink.Protocol;
using static Membrane.Netlink.Interop.Attributes;

namespace Membrane.Netlink;

/// <summary>Addresses: RTM_NEWADDR, RTM_DELADDR and RTM_GETADDR (net/ipv4/devinet.c, net/ipv6/addrconf.c).</summary>
public sealed partial class Rtnetlink
{
    /// <summary>IFA_F_NODAD, uapi/linux/if_addr.h.</summary>
    private const uint IFA_F_NODAD = 0x02;

    /// <summary>Adds <paramref name="address"/>/<paramref name="prefixLength"/> to the interface
    /// <paramref name="ifindex"/>; also installs the prefix route, as the kernel does for every address.</summary>
    public void AddAddress(int ifindex, IPAddress address, int prefixLength, AddressOptions options = AddressOptions.None)
    {
        var flags = (options & AddressOptions.NoDuplicateAddressDetection) != 0 ? IFA_F_NODAD : 0;
        BeginAddress(MessageType.NewAddress, ifindex, address, prefixLength, MessageFlags.Create | MessageFlags.Exclusive)
            .Attribute(IFA_FLAGS, flags);
        ExecuteOnDevice(ifindex, device => $"address add {address}/{prefixLength} dev {device}");
    }

    public void DeleteAddress(int ifindex, IPAddress address, int prefixLength)
    {
        BeginAddress(MessageType.DeleteAddress, ifindex, address, prefixLength, 0);
        ExecuteOnDevice(ifindex, device => $"address delete {address}/{prefixLength} dev {device}");
    }

    /// <summary>The addresses of <paramref name="family"/> (InterNetwork, InterNetworkV6, or Unspecified for both),
    /// on the interface <paramref name="ifindex"/> or on all when null.</summary>
    public IReadOnlyList<InterfaceAddress> ListAddresses(AddressFamily family = AddressFamily.Unspecified, int? ifindex = null)
    {
        writer.Begin(MessageType.GetAddress, new IfAddrMsg { Family = FamilyOf(family) });
        var addresses = socket.Dump<InterfaceAddress>(writer, "address list", ParseAddress);
        return ifindex is { } index ? addresses.FindAll(address => address.Index == index) : addresses;
    }

    /// <summary>
    /// The request both add and delete send: ifaddrmsg and the address as IFA_LOCAL and IFA_ADDRESS, as iproute2 does
    /// without a peer. IPv4 takes the local address from IFA_LOCAL and the prefix from IFA_ADDRESS; IPv6 reads
    /// IFA_ADDRESS, or IFA_LOCAL when it is alone (addrconf.c <c>extract_addr</c>).
    /// </summary>
    private MessageWriter BeginAddress(ushort type, int ifindex, IPAddress address, int prefixLength, ushort flags)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifindex);
        ArgumentNullException.ThrowIfNull(address);
        var family = FamilyOf(address);
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, family == Libc.AF_INET ? 32 : 128);
        return writer.Begin(type, new IfAddrMsg { Family = family, PrefixLength = (byte)prefixLength, Index = (uint)ifindex }, flags)
            .Attribute(IFA_LOCAL, address)
            .Attribute(IFA_ADDRESS, address);
    }

    private static bool ParseAddress(ushort type, ReadOnlySpan<byte> payload, out InterfaceAddress address)
    {
        address = null!;
        if (type != MessageType.NewAddress || payload.Length < Marshal.SizeOf<IfAddrMsg>())
        {
            return false;
        }

        var message = MemoryMarshal.Read<IfAddrMsg>(payload);
        IPAddress? local = null, prefix = null;
        uint flags = message.Flags;
        var reader = new AttributeReader(payload[NetlinkAlignment.Align(Marshal.SizeOf<IfAddrMsg>())..]);
        while (reader.MoveNext())
        {
            switch (reader.Type)
            {
                case IFA_LOCAL:
                    local = reader.ValueAsAddress();
                    break;
                case IFA_ADDRESS:
                    prefix = reader.ValueAsAddress();
                    break;
                case IFA_FLAGS:
                    flags = reader.ValueAsUInt32();
                    break;
            }
        }

        if ((local ?? prefix) is not { } value)
        {
            return false;
        }

        address = new InterfaceAddress((int)message.Index, value, message.PrefixLength, message.Scope, flags);
        return true;
    }

    /// <summary>AF_INET or AF_INET6 for an address; anything else is refused before the kernel sees it.</summary>
    private static byte FamilyOf(IPAddress address) => address.AddressFamily switch
    {
        AddressFamily.InterNetwork => Libc.AF_INET,
        AddressFamily.InterNetworkV6 => Libc.AF_INET6,
        _ => throw new ArgumentException($"{address} is neither IPv4 nor IPv6", nameof(address)),
    };

    private static byte FamilyOf(AddressFamily family) => family switch
    {
        AddressFamily.Unspecified => Libc.AF_UNSPEC,
        AddressFamily.InterNetwork => Libc.AF_INET,
        AddressFamily.InterNetworkV6 => Libc.AF_INET6,
        _ => throw new ArgumentOutOfRangeException(nameof(family), family, "rtnetlink families here are Unspecified, InterNetwork and InterNetworkV6"),
    };
}
