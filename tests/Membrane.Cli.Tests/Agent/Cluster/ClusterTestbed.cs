using System.Security.Cryptography;
using Membrane.Api;
using Membrane.Netlink.Namespaces;
using Membrane.Testing;

namespace Membrane.Cli.Tests.Agent.Cluster;

/// <summary>
/// A cluster of real agents on this machine: an underlay namespace (<c>mbrcu…</c>) with a bridge, etcd listening on the
/// bridge's address in that namespace, and nodes, each an <see cref="AgentProcess"/> in its own node namespace joined to
/// the bridge by a veth pair and run with <c>--cluster</c>. Addresses are drawn at random per testbed (10.99.S.0/24 and
/// fd00:99:S::/64 on the underlay; the pod pools 10.236.S.0/24 and fd00:236:S::/112). Dispose removes it all, nodes
/// first, whatever state the test left.
/// </summary>
public sealed class ClusterTestbed : IDisposable
{
    private readonly string _hex = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
    private readonly int _subnet = RandomNumberGenerator.GetInt32(0, 256);

    private ClusterTestbed()
    {
        Underlay = $"mbrcu{_hex}";
        Bridge = $"mbrb{_hex}";
    }

    public string Underlay { get; }

    public string Bridge { get; }

    public EtcdProcess Etcd { get; private set; } = null!;

    /// <summary>etcd's members: one, unless the testbed was started with more (then <see cref="Etcd"/> is the first).</summary>
    public IReadOnlyList<EtcdProcess> EtcdMembers { get; private set; } = [];

    /// <summary>The client URLs the agents are given: every member's.</summary>
    public string EtcdEndpoints => string.Join(",", EtcdMembers.Select(m => m.ClientUrl));

    public string EtcdAddress => $"10.99.{_subnet}.1";

    public List<AgentProcess> Nodes { get; } = [];

    /// <summary>The lease TTL the nodes run with: short, so that expiry is seen in a test.</summary>
    public int LeaseSeconds { get; init; } = 4;

    /// <summary>Starts the underlay and etcd (plain, or with mutual TLS), and <paramref name="nodes"/> agents.</summary>
    /// <param name="tls">With it, etcd serves mutual TLS: given etcd's address, it gives the server's certificate and
    /// key and the CA that client certificates must chain to (PEM files).</param>
    public static async Task<ClusterTestbed> StartAsync(int nodes, Func<string, (string Certificate, string Key, string ClientCa)>? tls = null, int leaseSeconds = 4,
        int etcdMembers = 1)
    {
        Root.Require();
        var testbed = new ClusterTestbed { LeaseSeconds = leaseSeconds };
        try
        {
            testbed.MakeUnderlay();
            if (etcdMembers > 1)
            {
                var addresses = Enumerable.Range(1, etcdMembers).Select(i => $"10.99.{testbed._subnet}.{i}").ToList();
                foreach (var extra in addresses.Skip(1))
                {
                    Command.Check("ip", "-n", testbed.Underlay, "addr", "add", $"{extra}/24", "dev", testbed.Bridge);
                }

                testbed.EtcdMembers = await EtcdProcess.StartClusterAsync(testbed.Underlay, addresses);
                testbed.Etcd = testbed.EtcdMembers[0];
            }
            else
            {
                var files = tls?.Invoke(testbed.EtcdAddress);
                testbed.Etcd = await EtcdProcess.StartAsync(testbed.Underlay, testbed.EtcdAddress, files?.Certificate, files?.Key, files?.ClientCa);
                testbed.EtcdMembers = [testbed.Etcd];
            }

            for (var i = 0; i < nodes; i++)
            {
                var node = testbed.AddNode();
                await node.StartAsync();
            }

            return testbed;
        }
        catch
        {
            testbed.Dispose();
            throw;
        }
    }

    private void MakeUnderlay()
    {
        NetworkNamespace.Create(Underlay).Dispose();
        Command.Check("ip", "-n", Underlay, "link", "set", "lo", "up");
        Command.Check("ip", "-n", Underlay, "link", "add", Bridge, "type", "bridge");
        Command.Check("ip", "-n", Underlay, "addr", "add", $"{EtcdAddress}/24", "dev", Bridge);
        Command.Check("ip", "-n", Underlay, "addr", "add", $"fd00:99:{_subnet:x}::1/64", "dev", Bridge, "nodad");
        Command.Check("ip", "-n", Underlay, "link", "set", Bridge, "up");
    }

    /// <summary>A node, its namespace joined to the underlay, its agent configured for the cluster but not started.</summary>
    public AgentProcess AddNode(params string[] extra)
    {
        var index = Nodes.Count + 1;
        var node = new AgentProcess("cl");
        Nodes.Add(node);
        NetworkNamespace.Create(node.Node).Dispose();
        Command.Check("ip", "-n", node.Node, "link", "set", "lo", "up");
        var port = $"mbrv{index}{_hex}";
        Command.Check("ip", "-n", Underlay, "link", "add", port, "type", "veth", "peer", "name", "mbrul0", "netns", node.Node);
        Command.Check("ip", "-n", Underlay, "link", "set", port, "master", Bridge, "up");
        Command.Check("ip", "-n", node.Node, "addr", "add", $"{NodeAddress(index, ipv6: false)}/24", "dev", "mbrul0");
        Command.Check("ip", "-n", node.Node, "addr", "add", $"{NodeAddress(index, ipv6: true)}/64", "dev", "mbrul0", "nodad");
        Command.Check("ip", "-n", node.Node, "link", "set", "mbrul0", "up");
        node.ExtraArguments.AddRange(
        [
            "--cluster", "--etcd-endpoints", EtcdEndpoints,
            "--cluster-pool", $"10.236.{_subnet}.0/24,fd00:236:{_subnet:x}::/112", "--node-cidr-size", "27", "--node-cidr-size-ipv6", "120",
            "--node-addresses", $"{NodeAddress(index, ipv6: false)},{NodeAddress(index, ipv6: true)}",
            "--lease-ttl", LeaseSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture),
            .. extra,
        ]);
        return node;
    }

    /// <summary>A client of the testbed's etcd, its sockets made inside the underlay namespace (plain etcd only).</summary>
    public Membrane.Cluster.EtcdConnection ConnectEtcd()
    {
        var underlay = NetworkNamespace.Open(Underlay);
        return new Membrane.Cluster.EtcdConnection(new Membrane.Cluster.EtcdOptions([new Uri(Etcd.ClientUrl)]), async (_, cancel) =>
        {
            var socket = underlay.Run(() => new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp));
            socket.NoDelay = true; // as SocketsHttpHandler sets on its own sockets
            try
            {
                await socket.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Parse(EtcdAddress), 2379), cancel);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        });
    }

    public string NodeAddress(int index, bool ipv6) => ipv6 ? $"fd00:99:{_subnet:x}::{10 + index:x}" : $"10.99.{_subnet}.{10 + index}";

    /// <summary>Waits (polling, at most <paramref name="seconds"/>) until <paramref name="condition"/> holds on the agent's cluster status.</summary>
    public static async Task WaitAsync(AgentProcess node, Func<ClusterStatusResponse, bool> condition, string what, int seconds = 20)
    {
        using var client = new AgentClient(node.Socket);
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        ClusterStatusResponse? last = null;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                last = await client.ClusterStatusAsync();
                if (condition(last))
                {
                    return;
                }
            }
            catch (AgentApiException)
            {
            }

            await Task.Delay(25);
        }

        Assert.Fail($"{node.Node}: {what} did not happen in {seconds} s; last status: {System.Text.Json.JsonSerializer.Serialize(last, ApiJsonContext.Default.ClusterStatusResponse)}\n{node.Log}");
    }

    /// <summary>Waits until <paramref name="node"/>'s kernel ipcache gives <paramref name="address"/> the identity <paramref name="identity"/> (or none at all, with null).</summary>
    public static async Task WaitIpcacheAsync(AgentProcess node, string address, uint? identity, int seconds = 20)
    {
        using var client = new AgentClient(node.Socket);
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        var prefix = address + (address.Contains(':') ? "/128" : "/32");
        List<IpcacheEntryInfo> last = [];
        while (DateTime.UtcNow < deadline)
        {
            last = await client.IpcacheAsync();
            var entry = last.FirstOrDefault(e => e.Prefix == prefix);
            if (identity is null ? entry is null : entry?.Identity == identity)
            {
                return;
            }

            await Task.Delay(10);
        }

        Assert.Fail($"{node.Node}: the ipcache did not give {prefix} {(identity is null ? "no entry" : $"identity {identity}")} in {seconds} s; " +
            $"it holds {string.Join(", ", last.Select(e => $"{e.Prefix}={e.Identity}"))}\n{node.Log}");
    }

    public void Dispose()
    {
        var failures = new List<string>();
        foreach (var node in Nodes)
        {
            try
            {
                node.Dispose();
            }
            catch (Exception e)
            {
                failures.Add(e.Message);
            }
        }

        foreach (var member in EtcdMembers.Count > 0 ? EtcdMembers : Etcd is null ? [] : [Etcd])
        {
            try
            {
                member.Dispose();
            }
            catch (Exception e)
            {
                failures.Add($"etcd: {e.Message}");
            }
        }

        if (NetworkNamespace.Exists(Underlay))
        {
            NetworkNamespace.Delete(Underlay);
        }

        if (failures.Count > 0)
        {
            throw new InvalidOperationException("cleanup failed: " + string.Join("; ", failures));
        }
    }
}
