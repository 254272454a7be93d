using System.Net;
using System.Net.Sockets;
using Membrane.Netlink.Namespaces;
using Membrane.Testing;

namespace Membrane.Cli.Tests.Agent;

/// <summary>
/// Real traffic between endpoint namespaces, bounded in count and time: iputils ping, and TCP and UDP through .NET
/// sockets created inside the namespaces (a socket stays in the namespace it was made in), so nothing beyond
/// iproute2 and iputils-ping is needed.
/// </summary>
public static class EndpointTraffic
{
    /// <summary><c>ping -c 1 -W 1</c> with <paramref name="options"/> (such as <c>-s 4000</c> or <c>-e 4242</c>) from inside <paramref name="from"/>.</summary>
    public static Task<(bool Replied, string Output)> PingAsync(string from, string address, params string[] options) => Task.Run(() =>
    {
        var (code, output) = Command.Run("ip", ["netns", "exec", from, "ping", address.Contains(':') ? "-6" : "-4", "-c", "1", "-W", "1", .. options, address]);
        return (code == 0, output);
    });

    /// <summary>Up to <paramref name="attempts"/> pings: the first echo of a fresh veth may wait on ARP or ND.</summary>
    public static async Task<(bool Replied, string Output)> PingEventuallyAsync(string from, string address, int attempts, params string[] options)
    {
        var last = (false, "");
        for (var attempt = 0; attempt < attempts; attempt++)
        {
            last = await PingAsync(from, address, options);
            if (last.Item1)
            {
                return last;
            }
        }

        return last;
    }

    /// <summary>A TCP connection from <paramref name="from"/> to a listener in <paramref name="to"/>, accepted within <paramref name="timeout"/>.</summary>
    public static async Task<bool> TcpConnectsAsync(string from, string to, string address, int port, TimeSpan timeout)
    {
        var ip = IPAddress.Parse(address);
        using var listener = InNamespace(to, () =>
        {
            var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(ip, port));
            socket.Listen(4);
            return socket;
        });
        using var client = InNamespace(from, () => new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp));
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await client.ConnectAsync(new IPEndPoint(ip, port), cancel.Token);
            using var accepted = await listener.AcceptAsync(cancel.Token);
            return true;
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException)
        {
            return false;
        }
    }

    /// <summary>One UDP datagram from <paramref name="from"/> to a socket in <paramref name="to"/>, which echoes it: true when the echo comes back within <paramref name="timeout"/>.</summary>
    public static async Task<bool> UdpEchoesAsync(string from, string to, string address, int port, TimeSpan timeout)
    {
        var ip = IPAddress.Parse(address);
        using var server = InNamespace(to, () =>
        {
            var socket = new Socket(ip.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(ip, port));
            return socket;
        });
        using var client = InNamespace(from, () => new Socket(ip.AddressFamily, SocketType.Dgram, ProtocolType.Udp));
        using var cancel = new CancellationTokenSource(timeout);
        var payload = "membrane e2e"u8.ToArray();
        try
        {
            await client.SendToAsync(payload, new IPEndPoint(ip, port), cancel.Token);
            var buffer = new byte[64];
            var received = await server.ReceiveFromAsync(buffer, new IPEndPoint(ip.AddressFamily == AddressFamily.InterNetworkV6 ? IPAddress.IPv6Any : IPAddress.Any, 0), cancel.Token);
            await server.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), received.RemoteEndPoint, cancel.Token);
            var echo = await client.ReceiveAsync(buffer, cancel.Token);
            return echo == payload.Length;
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException)
        {
            return false;
        }
    }

    public static T InNamespace<T>(string name, Func<T> action)
    {
        using var networkNamespace = NetworkNamespace.Open(name);
        return networkNamespace.Run(action);
    }
}
