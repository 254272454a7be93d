using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using dotnet_etcd;
using Membrane.Netlink.Namespaces;

namespace Membrane.Cluster.Tests;

/// <summary>
/// A real etcd (Debian's etcd-server) for one test, in a network namespace of the test's own (<c>mbr...</c>), listening
/// on that namespace's loopback only, with its data in a temporary directory; stopped and removed, namespace and all,
/// on dispose. Clients reach it through sockets made inside the namespace, never through the machine's interfaces.
/// </summary>
public sealed class EtcdServer : IDisposable
{
    private readonly Process _process;
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("mbr-etcd-").FullName;
    private readonly NetworkNamespace _namespace;
    private readonly List<EtcdClient> _clients = [];
    private readonly List<Grpc.Net.Client.GrpcChannel> _channels = [];

    private EtcdServer(string name)
    {
        Namespace = name;
        _namespace = NetworkNamespace.Create(name);
        Membrane.Testing.Command.Check("ip", "-n", name, "link", "set", "lo", "up");
        var start = new ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[]
        {
            "netns", "exec", name, "etcd", "--name", "mbr", "--data-dir", _dataDirectory,
            "--listen-client-urls", "http://127.0.0.1:2379", "--advertise-client-urls", "http://127.0.0.1:2379",
            "--listen-peer-urls", "http://127.0.0.1:2380", "--initial-advertise-peer-urls", "http://127.0.0.1:2380",
            "--initial-cluster", "mbr=http://127.0.0.1:2380", "--log-level", "warn",
        })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (Log) { Log.Add(e.Data); } } };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Namespace { get; }

    public List<string> Log { get; } = [];

    /// <summary>Starts etcd and waits (up to 20 s) until it answers.</summary>
    public static async Task<EtcdServer> StartAsync()
    {
        Membrane.Testing.Root.Require();
        if (!File.Exists("/usr/bin/etcd"))
        {
            Assert.Skip("needs etcd (Debian's etcd-server; test.sh installs it)");
        }

        var server = new EtcdServer($"mbretcd{Environment.ProcessId % 10000}{Random.Shared.Next(1000)}");
        try
        {
            var client = server.Client();
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (true)
            {
                try
                {
                    await client.GetAsync("membrane/probe", deadline: DateTime.UtcNow.AddSeconds(1));
                    return server;
                }
                catch (Exception) when (DateTime.UtcNow < deadline && !server._process.HasExited)
                {
                    await Task.Delay(50);
                }
            }
        }
        catch (Exception e)
        {
            var log = string.Join("\n", server.Log);
            server.Dispose();
            throw new InvalidOperationException($"etcd did not come up: {e.Message}\n{log}", e);
        }
    }

    /// <summary>A client whose connections are made inside the server's namespace.</summary>
    public EtcdClient Client()
    {
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancel) =>
            {
                var socket = _namespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
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
            },
        };
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
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        finally
        {
            _process.Dispose();
            _namespace.Dispose();
            NetworkNamespace.Delete(Namespace);
            Directory.Delete(_dataDirectory, recursive: true);
        }
    }
}
