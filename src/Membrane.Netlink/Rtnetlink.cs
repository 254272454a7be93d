using Membrane.Netlink.Namespaces;
using Membrane.Netlink.Protocol;

namespace Membrane.Netlink;

/// <summary>
/// An rtnetlink connection to one network namespace: links, addresses, routes, neighbours and tc, in the partial files
/// of the same name. The namespace is the one the socket was opened in (<see cref="Open()"/> for the calling thread's,
/// <see cref="Open(NetworkNamespace)"/> for another), whichever thread later makes the requests. An instance makes one
/// request at a time and is not meant for concurrent use; open one per thread that needs it.
/// <para>
/// Operations on a device take its interface index, as the kernel's structs do. When the kernel refuses one, the error
/// names the device by name, looked up only then, so the success path costs one round trip.
/// </para>
/// </summary>
public sealed partial class Rtnetlink : IDisposable
{
    private readonly NetlinkSocket socket;
    private readonly MessageWriter writer = new();

    private Rtnetlink(NetlinkSocket socket)
    {
        this.socket = socket;
    }

    /// <summary>Opens a connection to the calling thread's network namespace (on a pool thread, the process's).</summary>
    public static Rtnetlink Open() => new(NetlinkSocket.Open());

    /// <summary>Opens a connection to <paramref name="networkNamespace"/>: the socket is created on a dedicated thread
    /// inside it, and a netlink socket keeps the namespace it was created in (net/netlink/af_netlink.c
    /// <c>__netlink_create</c> takes <c>sock_net</c> from the creating task).</summary>
    public static Rtnetlink Open(NetworkNamespace networkNamespace)
    {
        ArgumentNullException.ThrowIfNull(networkNamespace);
        return new(networkNamespace.Run(NetlinkSocket.Open));
    }

    /// <summary>Datagrams the replies to the last request took: more than one for a dump larger than one datagram.</summary>
    internal int DatagramsInLastRequest => socket.DatagramsInLastRequest;

    public void Dispose() => socket.Dispose();

    /// <summary>Sends a request on a device; on failure, names the device in the error by asking the kernel for its
    /// name (<paramref name="describe"/> turns the device's name into the operation's description).</summary>
    private void ExecuteOnDevice(int ifindex, Func<string, string> describe)
    {
        try
        {
            socket.Execute(writer, describe($"ifindex {ifindex}"));
        }
        catch (NetlinkException error)
        {
            throw Renamed(error, ifindex, describe);
        }
    }

    private List<T> DumpOnDevice<T>(int ifindex, Func<string, string> describe, ReplyParser<T> parse)
    {
        try
        {
            return socket.Dump(writer, describe($"ifindex {ifindex}"), parse);
        }
        catch (NetlinkException error)
        {
            throw Renamed(error, ifindex, describe);
        }
    }

    /// <summary>The error again, naming the device; the lookup runs after the failed request has fully unwound, so it
    /// can use the socket.</summary>
    private NetlinkException Renamed(NetlinkException error, int ifindex, Func<string, string> describe) =>
        FindLinkName(ifindex) is { } name ? new NetlinkException(describe(name), error.Errno, error.KernelMessage) : error;

    private string? FindLinkName(int ifindex)
    {
        try
        {
            return GetLink(ifindex).Name;
        }
        catch (NetlinkException)
        {
            return null;
        }
    }
}
