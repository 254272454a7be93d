using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Membrane.Api;
using Membrane.Netlink;
using Membrane.Netlink.Namespaces;

namespace Membrane.Demo;

/// <summary>
/// <c>membrane demo</c>: ICMP allow-listing, end to end, in under a minute, leaving nothing behind. It makes a throwaway
/// node namespace with its own agent (a real <c>membrane agent</c> process, started with nsenter), three endpoints
/// (web, db, other), applies a policy that lets web ping db over IPv4 and IPv6 and reach its TCP port 80, then sends
/// real pings and TCP connections, allowed and denied, watching the agent's monitor, and removes it all. Every name
/// starts with mbrdemo; traffic stays between the demo's own namespaces.
/// </summary>
public static class DemoRunner
{
    public const string Policy = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: db-allows-web, namespace: default}
        spec:
          endpointSelector: {matchLabels: {app: db}}
          ingress:
          - fromEndpoints: [{matchLabels: {app: web}}]
            icmps: [{fields: [{type: EchoRequest, family: IPv4}, {type: EchoRequest, family: IPv6}]}]
          - fromEndpoints: [{matchLabels: {app: web}}]
            toPorts: [{ports: [{port: "80", protocol: TCP}]}]
        """;

    /// <param name="agentCommand">How to start <c>membrane agent</c>: the program and the arguments before <c>agent</c>.</param>
    /// <param name="bpffsRoot">Where the demo's agent pins its links; a directory of the demo's own is made in it and removed.</param>
    public static async Task<IReadOnlyList<DemoFlow>> RunAsync(
        IReadOnlyList<string> agentCommand, IProgress<string> progress, string bpffsRoot = "/sys/fs/bpf/membrane-demo", CancellationToken cancellation = default)
    {
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(2));
        var node = $"mbrdemo-{id}";
        var directory = Path.Combine(Path.GetTempPath(), node);
        var socket = Path.Combine(directory, "membrane.sock");
        var names = new Dictionary<string, string> { ["web"] = $"{node}-web", ["db"] = $"{node}-db", ["other"] = $"{node}-other" };
        Process? agent = null;
        AgentClient? client = null;
        Directory.CreateDirectory(directory);
        try
        {
            progress.Report($"node namespace {node}, with its own agent");
            using (var nodeNamespace = NetworkNamespace.Create(node))
            using (var links = Rtnetlink.Open(nodeNamespace))
            {
                links.SetLinkUp("lo");
            }

            agent = StartAgent(agentCommand, node, socket, Path.Combine(bpffsRoot, node), Path.Combine(directory, "state"));
            client = new AgentClient(socket, TimeSpan.FromSeconds(30));
            await WaitForAgentAsync(client, agent, cancellation);

            var endpoints = new Dictionary<string, EndpointInfo>();
            foreach (var (role, name) in names)
            {
                progress.Report($"endpoint {role} ({name})");
                endpoints[role] = await client.CreateEndpointAsync(new EndpointCreateRequest(name, $"k8s:app={role}"), cancellation);
            }

            progress.Report("policy: db accepts ping (IPv4 and IPv6) and TCP/80 from web, nothing else");
            var import = await client.ImportPoliciesAsync(new PolicyImportRequest([new PolicyFile("demo-policy.yaml", Policy)]), cancellation);
            if (!import.Applied)
            {
                throw new InvalidOperationException("the demo's policy was refused: " + string.Join("; ", import.Findings.Select(f => f.Message)));
            }

            // Watch the drops while the flows run.
            using var watching = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            var drops = new List<MonitorEvent>();
            var monitor = Task.Run(async () =>
            {
                try
                {
                    await foreach (var e in client.MonitorAsync(watching.Token))
                    {
                        if (e.Type == MonitorEvent.TypeDrop)
                        {
                            lock (drops)
                            {
                                drops.Add(e);
                            }
                        }
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or AgentApiException)
                {
                    // Cancelled when the flows are done; or the agent went, which the flows themselves then show.
                }
            }, CancellationToken.None);
            await Task.Delay(500, cancellation);

            var web = endpoints["web"];
            var db = endpoints["db"];
            var other = endpoints["other"];
            var plan = new (string From, EndpointInfo Source, string What, Func<bool> Send, bool Expected, string? Address)[]
            {
                ("web", web, "ping (IPv4)", () => Ping(web.Name, db.Ipv4), true, db.Ipv4),
                ("web", web, "ping -6", () => Ping(web.Name, db.Ipv6), true, db.Ipv6),
                ("web", web, "TCP to port 80", () => TcpConnects(web, db, 80), true, db.Ipv4),
                ("web", web, "TCP to port 8080", () => TcpConnects(web, db, 8080), false, db.Ipv4),
                ("other", other, "ping (IPv4)", () => Ping(other.Name, db.Ipv4), false, db.Ipv4),
                ("other", other, "ping -6", () => Ping(other.Name, db.Ipv6), false, db.Ipv6),
                ("other", other, "TCP to port 80", () => TcpConnects(other, db, 80), false, db.Ipv4),
            };
            var observed = new List<(int Index, bool Allowed, DateTimeOffset Start, DateTimeOffset End)>();
            for (var i = 0; i < plan.Length; i++)
            {
                progress.Report($"{plan[i].From} -> db: {plan[i].What}");
                var start = DateTimeOffset.UtcNow;
                var allowed = plan[i].Send();
                observed.Add((i, allowed, start, DateTimeOffset.UtcNow));
            }

            await Task.Delay(1500, cancellation); // the last events reach the monitor
            await watching.CancelAsync();
            await monitor;

            return [.. observed.Select(o =>
            {
                var step = plan[o.Index];
                List<string> explaining;
                lock (drops)
                {
                    explaining = [.. drops.Where(d => d.SourceIp == Address(step.Source, step.Address) && d.DestinationIp == step.Address &&
                        d.Time >= o.Start.AddMilliseconds(-200) && d.Time <= o.End.AddMilliseconds(200)).Select(d => d.Summary).Distinct().Take(2)];
                }

                return new DemoFlow(step.From, "db", step.What, step.Expected, o.Allowed, explaining);
            })];
        }
        finally
        {
            progress.Report("cleaning up");
            if (agent is not null)
            {
                // An agent keeps its endpoints when it stops (the next one restores them): the demo deletes its own.
                await DeleteEndpointsAsync(client, agent, names.Values);
                Stop(agent);
            }

            client?.Dispose();

            foreach (var name in names.Values.Append(node))
            {
                if (NetworkNamespace.Exists(name))
                {
                    NetworkNamespace.Delete(name);
                }
            }

            Directory.Delete(directory, recursive: true);
            if (Directory.Exists(Path.Combine(bpffsRoot, node)))
            {
                Directory.Delete(Path.Combine(bpffsRoot, node), recursive: true);
            }

            if (Directory.Exists(bpffsRoot) && !Directory.EnumerateFileSystemEntries(bpffsRoot).Any())
            {
                Directory.Delete(bpffsRoot);
            }
        }
    }

    private static async Task DeleteEndpointsAsync(AgentClient? client, Process agent, IEnumerable<string> names)
    {
        foreach (var name in names)
        {
            try
            {
                if (client is not null && !agent.HasExited)
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                    await client.DeleteEndpointAsync(name, timeout.Token);
                }
            }
            catch (Exception e) when (e is AgentApiException or OperationCanceledException)
            {
                // Not made, or the agent is gone: the namespaces are removed below either way.
            }
        }
    }

    private static string Address(EndpointInfo source, string? destination) =>
        destination is not null && destination.Contains(':', StringComparison.Ordinal) ? source.Ipv6 : source.Ipv4;

    private static Process StartAgent(IReadOnlyList<string> agentCommand, string node, string socket, string pins, string state)
    {
        var start = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add($"--net={NetworkNamespace.RunDirectory}/{node}");
        foreach (var argument in agentCommand)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var argument in new[] { "agent", "--socket", socket, "--node-name", node, "--ipv4-pool", "10.241.0.0/24", "--ipv6-pool", "fd00:241::/64", "--metrics", "none", "--bpffs-root", pins, "--state-dir", state })
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("could not start nsenter for the demo's agent");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private static async Task WaitForAgentAsync(AgentClient client, Process agent, CancellationToken cancellation)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await client.StatusAsync(cancellation);
                return;
            }
            catch (AgentApiException) when (DateTime.UtcNow < deadline && !agent.HasExited)
            {
                await Task.Delay(200, cancellation);
            }
        }
    }

    private static void Stop(Process agent)
    {
        if (!agent.HasExited)
        {
            // SIGTERM through libc: a fresh machine need not have a kill program (procps).
            ProcessSignal.Terminate(agent.Id);
            if (!agent.WaitForExit(20_000))
            {
                agent.Kill(entireProcessTree: true);
            }
        }

        agent.Dispose();
    }

    /// <summary>
    /// Up to three echo requests, each with a one-second timeout (the first may wait on ARP or ND), sent from inside
    /// the endpoint's namespace: .NET's ping uses a raw ICMP socket as root, and a socket belongs to the namespace of the
    /// thread that makes it, so the demo needs no ping program.
    /// </summary>
    private static bool Ping(string from, string address)
    {
        using var endpoint = NetworkNamespace.Open(from);
        return endpoint.Run(() =>
        {
            using var ping = new System.Net.NetworkInformation.Ping();
            for (var attempt = 0; attempt < 3; attempt++)
            {
                if (ping.Send(IPAddress.Parse(address), 1000).Status == System.Net.NetworkInformation.IPStatus.Success)
                {
                    return true;
                }
            }

            return false;
        });
    }

    /// <summary>A TCP connection within two seconds; the sockets are made inside each namespace, then used from here.</summary>
    private static bool TcpConnects(EndpointInfo from, EndpointInfo to, int port)
    {
        using var toNamespace = NetworkNamespace.Open(to.Netns);
        using var fromNamespace = NetworkNamespace.Open(from.Netns);
        using var listener = toNamespace.Run(() =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(IPAddress.Parse(to.Ipv4), port));
            socket.Listen(4);
            return socket;
        });
        using var client = fromNamespace.Run(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            client.ConnectAsync(new IPEndPoint(IPAddress.Parse(to.Ipv4), port), timeout.Token).AsTask().GetAwaiter().GetResult();
            using var accepted = listener.AcceptAsync(timeout.Token).AsTask().GetAwaiter().GetResult();
            return true;
        }
        catch (Exception exception) when (exception is OperationCanceledException or SocketException)
        {
            return false;
        }
    }
}
