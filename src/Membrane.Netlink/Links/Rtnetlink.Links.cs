using System.Net.NetworkInformation;
using System.Runtime.InteropServices;
using Membrane.Netlink.Interop;
using Membrane.Netlink.Links;
using Membrane.Netlink.Namespaces;
using Membrane.Netlink.Protocol;
using static Membrane.Netlink.Interop.Attributes;

namespace Membrane.Netlink;

/// <summary>Links: RTM_NEWLINK, RTM_DELLINK, RTM_GETLINK and RTM_SETLINK (net/core/rtnetlink.c). Links are named by
/// IFLA_IFNAME with index 0, which the kernel resolves in the socket's namespace.</summary>
public sealed partial class Rtnetlink
{
    /// <summary>IFF_UP, uapi/linux/if.h.</summary>
    private const uint IFF_UP = 0x1;

    /// <summary>The link named <paramref name="name"/>; throws a <see cref="NetlinkException"/> (ENODEV) when there is none.</summary>
    public Link GetLink(string name)
    {
        ValidateName(name);
        writer.Begin(MessageType.GetLink, new IfInfoMsg()).Attribute(IFLA_IFNAME, name);
        return Single(socket.Query<Link>(writer, $"link get {name}", ParseLink), $"link get {name}");
    }

    /// <summary>The link with index <paramref name="ifindex"/>; throws a <see cref="NetlinkException"/> (ENODEV) when there is none.</summary>
    public Link GetLink(int ifindex)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifindex);
        writer.Begin(MessageType.GetLink, new IfInfoMsg { Index = ifindex });
        return Single(socket.Query<Link>(writer, $"link get ifindex {ifindex}", ParseLink), $"link get ifindex {ifindex}");
    }

    /// <summary>The link named <paramref name="name"/>, or null when there is none.</summary>
    public Link? FindLink(string name)
    {
        try
        {
            return GetLink(name);
        }
        catch (NetlinkException error) when (error.Errno == Errno.ENODEV)
        {
            return null;
        }
    }

    /// <summary>Every link in the namespace, by a dump.</summary>
    public IReadOnlyList<Link> ListLinks()
    {
        writer.Begin(MessageType.GetLink, new IfInfoMsg());
        return socket.Dump<Link>(writer, "link list", ParseLink);
    }

    /// <summary>
    /// Creates a veth pair: <paramref name="name"/> in this connection's namespace, <paramref name="peerName"/> in
    /// <paramref name="peerNamespace"/> (or here too when null). The peer goes straight into its namespace through
    /// IFLA_NET_NS_FD inside VETH_INFO_PEER (drivers/net/veth.c <c>veth_newlink</c>), so it never appears here and
    /// never needs moving. Both ends start down.
    /// </summary>
    public void CreateVethPair(string name, string peerName, NetworkNamespace? peerNamespace = null)
    {
        ValidateName(name);
        ValidateName(peerName);
        var operation = peerNamespace is null
            ? $"link add {name} type veth peer name {peerName}"
            : $"link add {name} type veth peer name {peerName} netns {peerNamespace.DisplayName}";
        using var lease = peerNamespace?.Handle.Acquire();
        writer.Begin(MessageType.NewLink, new IfInfoMsg(), MessageFlags.Create | MessageFlags.Exclusive)
            .Attribute(IFLA_IFNAME, name);
        var linkInfo = writer.BeginNested(IFLA_LINKINFO);
        writer.Attribute(IFLA_INFO_KIND, "veth");
        var data = writer.BeginNested(IFLA_INFO_DATA);
        var peer = writer.BeginNested(VETH_INFO_PEER, new IfInfoMsg());
        writer.Attribute(IFLA_IFNAME, peerName);
        if (lease is { } peerFd)
        {
            writer.Attribute(IFLA_NET_NS_FD, peerFd.Fd);
        }

        writer.EndNested(peer);
        writer.EndNested(data);
        writer.EndNested(linkInfo);
        socket.Execute(writer, operation);
    }

    /// <summary>Deletes the link <paramref name="name"/>; deleting one end of a veth pair deletes both.</summary>
    public void DeleteLink(string name)
    {
        ValidateName(name);
        writer.Begin(MessageType.DeleteLink, new IfInfoMsg()).Attribute(IFLA_IFNAME, name);
        socket.Execute(writer, $"link delete {name}");
    }

    public void SetLinkUp(string name) => SetFlags(name, IFF_UP, "up");

    public void SetLinkDown(string name) => SetFlags(name, 0, "down");

    public void SetMtu(string name, int mtu)
    {
        ValidateName(name);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(mtu);
        writer.Begin(MessageType.SetLink, new IfInfoMsg()).Attribute(IFLA_IFNAME, name).Attribute(IFLA_MTU, mtu);
        socket.Execute(writer, $"link set {name} mtu {mtu}");
    }

    public void SetMacAddress(string name, PhysicalAddress address)
    {
        ValidateName(name);
        ArgumentNullException.ThrowIfNull(address);
        writer.Begin(MessageType.SetLink, new IfInfoMsg()).Attribute(IFLA_IFNAME, name).Attribute(IFLA_ADDRESS, address.GetAddressBytes());
        socket.Execute(writer, $"link set {name} address {FormatMac(address)}");
    }

    /// <summary>Moves the link <paramref name="name"/> into <paramref name="target"/> (IFLA_NET_NS_FD on RTM_SETLINK).
    /// The kernel brings it down and drops its addresses and routes on the way.</summary>
    public void MoveToNamespace(string name, NetworkNamespace target)
    {
        ValidateName(name);
        ArgumentNullException.ThrowIfNull(target);
        using var lease = target.Handle.Acquire();
        writer.Begin(MessageType.SetLink, new IfInfoMsg()).Attribute(IFLA_IFNAME, name).Attribute(IFLA_NET_NS_FD, lease.Fd);
        socket.Execute(writer, $"link set {name} netns {target.DisplayName}");
    }

    /// <summary>Sets or clears IFF_UP: ifi_change masks which flags the kernel applies (dev_change_flags).</summary>
    private void SetFlags(string name, uint flags, string description)
    {
        ValidateName(name);
        writer.Begin(MessageType.SetLink, new IfInfoMsg { Flags = flags, Change = IFF_UP }).Attribute(IFLA_IFNAME, name);
        socket.Execute(writer, $"link set {name} {description}");
    }

    private static bool ParseLink(ushort type, ReadOnlySpan<byte> payload, out Link link)
    {
        link = null!;
        if (type != MessageType.NewLink || payload.Length < Marshal.SizeOf<IfInfoMsg>())
        {
            return false;
        }

        var message = MemoryMarshal.Read<IfInfoMsg>(payload);
        string name = "";
        var mtu = 0;
        PhysicalAddress? mac = null;
        byte operState = 0;
        string? kind = null;
        int? parent = null;
        var reader = new AttributeReader(payload[NetlinkAlignment.Align(Marshal.SizeOf<IfInfoMsg>())..]);
        while (reader.MoveNext())
        {
            switch (reader.Type)
            {
                case IFLA_IFNAME:
                    name = reader.ValueAsString();
                    break;
                case IFLA_MTU:
                    mtu = (int)reader.ValueAsUInt32();
                    break;
                case IFLA_ADDRESS:
                    mac = new PhysicalAddress(reader.Value.ToArray());
                    break;
                case IFLA_OPERSTATE when reader.Value.Length >= 1:
                    operState = reader.Value[0];
                    break;
                case IFLA_LINK:
                    parent = (int)reader.ValueAsUInt32();
                    break;
                case IFLA_LINKINFO:
                    var info = new AttributeReader(reader.Value);
                    while (info.MoveNext())
                    {
                        if (info.Type == IFLA_INFO_KIND)
                        {
                            kind = info.ValueAsString();
                        }
                    }

                    break;
            }
        }

        link = new Link(message.Index, name, mtu, mac, (message.Flags & IFF_UP) != 0, OperStateName(operState), kind, parent);
        return true;
    }

    /// <summary>enum IF_OPER_* (uapi/linux/if.h, RFC 2863), spelled as iproute2 prints it.</summary>
    private static string OperStateName(byte state) => state switch
    {
        0 => "UNKNOWN",
        1 => "NOTPRESENT",
        2 => "DOWN",
        3 => "LOWERLAYERDOWN",
        4 => "TESTING",
        5 => "DORMANT",
        6 => "UP",
        _ => $"state {state}",
    };

    private static string FormatMac(PhysicalAddress address) =>
        string.Join(':', address.GetAddressBytes().Select(octet => octet.ToString("x2")));

    private static T Single<T>(List<T> replies, string operation) => replies.Count == 1
        ? replies[0]
        : throw new InvalidDataException($"{operation}: the kernel sent {replies.Count} replies where one was expected");

    /// <summary>IFNAMSIZ is 16 with the NUL (uapi/linux/if.h); the kernel refuses longer names with EINVAL, and
    /// dev_valid_name refuses '/', ':' and whitespace.</summary>
    private static void ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Length > 15 || name.Any(c => c is '/' or ':' || char.IsWhiteSpace(c)) || name is "." or "..")
        {
            throw new ArgumentException(
                $"'{name}' is not a valid interface name: at most 15 characters, without '/', ':' or whitespace", nameof(name));
        }
    }
}
