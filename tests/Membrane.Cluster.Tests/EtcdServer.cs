using System.Net;
using System.Net.Sockets;
using dotnet_etcd;
using Membrane.Netlink.Namespaces;
using Membrane.Testing;

namespace Membrane.Cluster.Tests;

/// <summary>
/// A real etcd (Debian's etcd-server) for one test, in a network namespace of the test's own (<c>mbr...</c>), listening
/// on that namespace's loopback only, with its data in a temporary directory; stopped and removed, namespace and all,
/// on dispose. Clients reach it through sockets made inside the namespace, never through the machine's interfaces.
/// </summary>
public sealed class EtcdServer : IDisposable
{
    private readonly NetworkNamespace _namespace;
    private readonly List<EtcdClient> _clients = [];
    private readonly List<Grpc.Net.Client.GrpcChannel> _channels = [];
    private EtcdProcess? _etcd;

    private EtcdServer(string name)
    {
        Namespace = name;
        _namespace = NetworkNamespace.Create(name);
        Membrane.Testing.Command.Check("ip", "-n", name, "link", "set", "lo", "up");
    }

    public string Namespace { get; }

    public EtcdProcess Process => _etcd!;

    /// <summary>Starts etcd and waits (up to 20 s) until it answers.</summary>
    public static async Task<EtcdServer> StartAsync()
    {
        Membrane.Testing.Root.Require();
        var server = new EtcdServer($"mbretcd{Environment.ProcessId % 10000}{Random.Shared.Next(1000)}");
        try
        {
            server._etcd = await EtcdProcess.StartAsync(server.Namespace, "127.0.0.1");
            var client = server.Client();
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (true)
            {
                try
                {
                    await client.GetAsync("membrane/probe", deadline: DateTime.UtcNow.AddSeconds(1));
                    return server;
                }
                catch (Exception) when (DateTime.UtcNow < deadline)
                {
                    await Task.Delay(50);
                }
            }
        }
        catch (Exception e) when (e is not Xunit.Sdk.SkipException)
        {
            var log = server._etcd?.Log;
            server.Dispose();
            throw new InvalidOperationException($"etcd did not come up: {e.Message}\n{log}", e);
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>A socket made inside the server's namespace, connected to its client port.</summary>
    public async ValueTask<Stream> ConnectAsync(CancellationToken cancel)
    {
        var socket = _namespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        socket.NoDelay = true; // as SocketsHttpHandler sets on its own sockets: Nagle and delayed ACKs would stall each request ~40 ms
        try
        {
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, 2379), cancel);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>A client whose connections are made inside the server's namespace.</summary>
    public EtcdClient Client()
    {
        var handler = new SocketsHttpHandler { ConnectCallback = (_, cancel) => ConnectAsync(cancel) };
        // A channel of the test's own: the client's default one balances over its addresses, which gRPC allows only
        // without a connect callback.
        var channel = Grpc.Net.Client.GrpcChannel.ForAddress("http://127.0.0.1:2379", new Grpc.Net.Client.GrpcChannelOptions { HttpHandler = handler });
        _channels.Add(channel);
        var client = new EtcdClient(channel.CreateCallInvoker());
        _clients.Add(client);
        return client;
    }

    public void Dispose()
    {
        _clients.ForEach(c => c.Dispose());
        _channels.ForEach(c => c.Dispose());
        try
        {
            _etcd?.Dispose();
        }
        finally
        {
            _namespace.Dispose();
            NetworkNamespace.Delete(Namespace);
        }
    }
}
