using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Membrane.Api;
using Membrane.Cluster;
using Membrane.Netlink.Namespaces;

namespace Membrane.Cluster.Benchmarks;

/// <summary>
/// The cluster the measures run on: an underlay namespace with a bridge, etcd on the bridge's address, and three node
/// namespaces joined to it, each with a <c>./membrane agent --cluster</c>. Every name starts with <c>mbrcb</c>, pins go
/// under /sys/fs/bpf/membrane-test; Dispose stops the agents (which delete their endpoints) and removes the rest.
/// </summary>
public sealed class BenchCluster : IDisposable
{
    private readonly string _hex = Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..4];
    private readonly List<Process> _processes = [];
    private readonly string _work = Directory.CreateTempSubdirectory("mbr-cluster-bench-").FullName;

    public BenchCluster(string membrane, int nodes)
    {
        Membrane = membrane;
        Underlay = $"mbrcb{_hex}u";
        try
        {
            Start(nodes);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    private void Start(int nodes)
    {
        NetworkNamespace.Create(Underlay).Dispose();
        Run("ip", "-n", Underlay, "link", "set", "lo", "up");
        Run("ip", "-n", Underlay, "link", "add", "mbrcbbr", "type", "bridge");
        Run("ip", "-n", Underlay, "addr", "add", "10.98.0.1/24", "dev", "mbrcbbr");
        Run("ip", "-n", Underlay, "link", "set", "mbrcbbr", "up");
        StartEtcd();
        for (var i = 1; i <= nodes; i++)
        {
            Nodes.Add(StartNode(i));
        }
    }

    public string Membrane { get; }

    /// <summary>What every name the bench makes starts with (endpoints too: the agents keep theirs at a stop).</summary>
    public string Prefix => $"mbrcb{_hex}";

    public string Underlay { get; }

    public List<(string Name, string Socket, string PinRoot, Process Agent)> Nodes { get; } = [];

    private void StartEtcd()
    {
        var data = Path.Combine(_work, "etcd");
        var log = File.CreateText(Path.Combine(_work, "etcd.log"));
        var etcd = Start(log, "ip", "netns", "exec", Underlay, "etcd", "--name", "mbr", "--data-dir", data,
            "--listen-client-urls", "http://10.98.0.1:2379", "--advertise-client-urls", "http://10.98.0.1:2379",
            "--listen-peer-urls", "http://10.98.0.1:2380", "--initial-advertise-peer-urls", "http://10.98.0.1:2380",
            "--initial-cluster", "mbr=http://10.98.0.1:2380", "--log-level", "warn", "--quota-backend-bytes", (4L << 30).ToString());
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (Exec("ip", "netns", "exec", Underlay, "bash", "-c", "exec 3<>/dev/tcp/10.98.0.1/2379") != 0)
        {
            if (DateTime.UtcNow > deadline || etcd.HasExited)
            {
                throw new InvalidOperationException($"etcd did not come up: {File.ReadAllText(Path.Combine(_work, "etcd.log"))}");
            }

            Thread.Sleep(50);
        }
    }

    private (string, string, string, Process) StartNode(int index)
    {
        var name = $"mbrcb{_hex}n{index}";
        NetworkNamespace.Create(name).Dispose();
        Run("ip", "-n", name, "link", "set", "lo", "up");
        Run("ip", "-n", Underlay, "link", "add", $"mbrcbv{index}", "type", "veth", "peer", "name", "mbrul0", "netns", name);
        Run("ip", "-n", Underlay, "link", "set", $"mbrcbv{index}", "master", "mbrcbbr", "up");
        Run("ip", "-n", name, "addr", "add", $"10.98.0.{10 + index}/24", "dev", "mbrul0");
        Run("ip", "-n", name, "link", "set", "mbrul0", "up");
        var socket = Path.Combine(_work, name + ".sock");
        var pins = $"/sys/fs/bpf/membrane-test/{name}";
        var log = File.CreateText(Path.Combine(_work, name + ".log"));
        var agent = Start(log, "nsenter", $"--net=/run/netns/{name}", Membrane, "agent", "--socket", socket, "--bpffs-root", pins,
            "--state-dir", Path.Combine(_work, name + ".state"), "--node-name", name, "--metrics", "none",
            "--cluster", "--etcd-endpoints", "http://10.98.0.1:2379", "--cluster-pool", "10.232.0.0/16,fd00:232::/96",
            "--node-cidr-size", "20", "--node-cidr-size-ipv6", "112", "--node-addresses", $"10.98.0.{10 + index}");
        using var client = new AgentClient(socket, TimeSpan.FromSeconds(2));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            try
            {
                if (client.ClusterStatusAsync().GetAwaiter().GetResult().Connected)
                {
                    break;
                }
            }
            catch (AgentApiException) when (DateTime.UtcNow < deadline && !agent.HasExited)
            {
            }

            if (DateTime.UtcNow > deadline || agent.HasExited)
            {
                throw new InvalidOperationException($"the agent of {name} did not come up; see {log}");
            }

            Thread.Sleep(100);
        }

        return (name, socket, pins, agent);
    }

    /// <summary>A connection to etcd whose sockets are made in the underlay namespace (the bench's own client, as a node's).</summary>
    public EtcdConnection ConnectEtcd()
    {
        var underlay = NetworkNamespace.Open(Underlay);
        return new EtcdConnection(new EtcdOptions([new Uri("http://10.98.0.1:2379")]) { RequestTimeout = TimeSpan.FromSeconds(30) }, async (_, cancel) =>
        {
            var socket = underlay.Run(() => new Socket(SocketType.Stream, ProtocolType.Tcp));
            socket.NoDelay = true; // as SocketsHttpHandler sets on its own sockets: Nagle and delayed ACKs would stall each request ~40 ms
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Parse("10.98.0.1"), 2379), cancel);
            return new NetworkStream(socket, ownsSocket: true);
        });
    }

    /// <summary>Resident memory of an agent now (VmRSS), in bytes: the nsenter process execs the agent, so its pid is the agent's.</summary>
    public static long ResidentBytes(Process agent) =>
        long.Parse(File.ReadLines($"/proc/{agent.Id}/status").First(l => l.StartsWith("VmRSS:", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;

    private Process Start(params string[] arguments) => Start(null, arguments);

    private Process Start(StreamWriter? log, params string[] arguments)
    {
        var start = new ProcessStartInfo(arguments[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => { if (e.Data is not null && log is not null) { lock (log) { log.WriteLine(e.Data); log.Flush(); } } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null && log is not null) { lock (log) { log.WriteLine(e.Data); log.Flush(); } } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _processes.Add(process);
        return process;
    }

    public static void Run(params string[] arguments)
    {
        if (Exec(arguments) != 0)
        {
            throw new InvalidOperationException($"{string.Join(' ', arguments)} failed");
        }
    }

    private static int Exec(params string[] arguments)
    {
        var start = new ProcessStartInfo(arguments[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments.Skip(1))
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        process.WaitForExit(30_000);
        return process.ExitCode;
    }

    public void Dispose()
    {
        foreach (var (_, _, _, agent) in Nodes)
        {
            _ = Exec("kill", "-TERM", agent.Id.ToString());
        }

        foreach (var (_, _, _, agent) in Nodes)
        {
            if (!agent.WaitForExit(120_000))
            {
                agent.Kill(entireProcessTree: true);
            }
        }

        foreach (var process in _processes.Where(p => !p.HasExited))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
        }

        foreach (var ns in Directory.GetFiles(NetworkNamespace.RunDirectory, $"mbrcb{_hex}*").Select(Path.GetFileName))
        {
            NetworkNamespace.Delete(ns!);
        }

        foreach (var (_, _, pins, _) in Nodes.Where(n => Directory.Exists(n.PinRoot)))
        {
            Directory.Delete(pins, recursive: true);
        }

        Directory.Delete(_work, recursive: true);
    }
}
