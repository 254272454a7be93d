using System.Net;
using System.Net.Sockets;
using Membrane.Testing;

namespace Membrane.Cli.Tests.Agent.Netpol;

/// <summary>
/// Kubernetes' own NetworkPolicy e2e cases (Agent/Netpol/cases.yaml) against one real agent: upstream's model of
/// namespaces x, y and z with pods a, b and c (pod=NAME, servers on TCP and UDP 80 and 81, named serve-80-tcp and so
/// on), every case's policies imported and its whole truth table probed with real connections and datagrams, in
/// parallel. The cases run in a shuffled order (its seed is in
/// the failure) on the same agent and endpoints, each after every policy of the one before is deleted, so state that
/// leaked from one case to the next would show. Every failing pair of every case is reported at once.
/// </summary>
[Collection(AgentProcessCollection.Name)]
public sealed class NetpolConformanceTests : IDisposable
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(1);
    private readonly AgentProcess _agent = new("npc");
    private readonly List<Socket> _servers = [];
    private readonly CancellationTokenSource _stop = new();

    /// <summary>The CLI calls that take back the labels the case added, run before the next case.</summary>
    private readonly List<string[]> _undo = [];

    [Fact]
    public async Task The_upstream_cases_hold_in_any_order_on_one_agent()
    {
        Root.Require();
        await RunAsync(NetpolCase.Load(CasesFile).Where(c => !c.NeedsSctp).ToList(), sctp: false);
    }

    /// <summary>
    /// Upstream's SCTP context, where the kernel has SCTP; skipped, with the reason, where it has not (this machine's
    /// kernel is built without it). The cases that need no SCTP traffic (an SCTP rule must never admit TCP) run above.
    /// </summary>
    [Fact]
    public async Task The_upstream_SCTP_cases_hold_where_the_kernel_has_SCTP()
    {
        Root.Require();
        if (SctpMissing() is { } reason)
        {
            Assert.Skip($"this kernel has no SCTP ({reason}): the {NetpolCase.Load(CasesFile).Count(c => c.NeedsSctp)} SCTP cases cannot send their probes");
        }

        await RunAsync(NetpolCase.Load(CasesFile).Where(c => c.NeedsSctp).ToList(), sctp: true);
    }

    private static string CasesFile => Path.Combine(AppContext.BaseDirectory, "Agent", "Netpol", "cases.yaml");

    private static string? SctpMissing()
    {
        try
        {
            using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, Sctp);
            return null;
        }
        catch (SocketException e)
        {
            return $"socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP): {e.Message}";
        }
    }

    private const ProtocolType Sctp = (ProtocolType)132;

    private async Task RunAsync(List<NetpolCase> cases, bool sctp)
    {
        await _agent.StartAsync();
        var pods = new Dictionary<string, AgentEndpoint>(StringComparer.Ordinal);
        foreach (var ns in new[] { "x", "y", "z" })
        {
            foreach (var pod in new[] { "a", "b", "c" })
            {
                pods[$"{ns}/{pod}"] = _agent.CreateEndpoint(_agent.EndpointName($"{ns}{pod}"), $"k8s:pod={pod}", "--namespace", ns,
                    "--port", "serve-80-tcp=80/TCP", "--port", "serve-81-tcp=81/TCP", "--port", "serve-80-udp=80/UDP", "--port", "serve-81-udp=81/UDP");
            }
        }

        foreach (var endpoint in pods.Values)
        {
            Serve(endpoint, sctp);
        }

        var addresses = pods.ToDictionary(p => p.Key, p => IPAddress.Parse(p.Value.IPv4), StringComparer.Ordinal);
        var seed = Environment.TickCount;
        var failures = new List<string>();
        var shuffle = new Random(seed);
        foreach (var netpol in cases.OrderBy(_ => shuffle.Next()).ToList())
        {
            _agent.CliOk("policy", "delete", "--all");
            foreach (var undo in _undo)
            {
                _agent.CliOk(undo);
            }

            _undo.Clear();
            var pairs = netpol.Pods.SelectMany(from => netpol.Pods.Where(to => to != from).Select(to => (From: from, To: to))).ToList();
            var stepNumber = 0;
            foreach (var step in netpol.AllSteps())
            {
                stepNumber++;
                if (step.DeleteAll)
                {
                    _agent.CliOk("policy", "delete", "--all");
                }

                if (step.Policies.Length > 0)
                {
                    var (code, stdout, stderr) = _agent.Import($"case{stepNumber}", NetpolCase.WithAddresses(step.Policies, addresses));
                    if (code != 0)
                    {
                        failures.Add($"{netpol.Name}, step {stepNumber}: the import failed (exit {code}): {stderr}{stdout}");
                        break;
                    }
                }

                foreach (var change in step.Labels)
                {
                    var key = change.Set[..change.Set.IndexOf('=')];
                    if (change.Pod is { } pod)
                    {
                        _agent.CliOk("endpoint", "label", pods[pod].Name, "--set", change.Set);
                        _undo.Add(["endpoint", "label", pods[pod].Name, "--remove", key]);
                    }
                    else
                    {
                        _agent.CliOk("namespace", "label", change.Namespace!, "--set", change.Set);
                        _undo.Add(["namespace", "label", change.Namespace!, "--remove", key]);
                    }
                }

                foreach (var check in step.Checks)
                {
                    var port = int.Parse(check.Port[..check.Port.IndexOf('/')], System.Globalization.CultureInfo.InvariantCulture);
                    var protocol = check.Port[(check.Port.IndexOf('/') + 1)..];
                    var results = await Task.WhenAll(pairs.Select(p => ReachesAsync(pods[p.From], pods[p.To], port, protocol)));
                    var wrong = pairs.Zip(results).Where(r => r.Second != check.Expected(r.First.From, r.First.To))
                        .Select(r => $"{r.First.From} -> {r.First.To} on {check.Port}: {(r.Second ? "reached" : "refused")}, expected {(r.Second ? "refused" : "reached")}")
                        .ToList();
                    if (wrong.Count > 0)
                    {
                        failures.Add($"{netpol.Name}, step {stepNumber}:\n    {string.Join("\n    ", wrong)}");
                    }
                }
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed (order seed {seed}):\n{string.Join("\n", failures)}\n{_agent.Log}");
    }

    /// <summary>The pod's servers, as upstream's: TCP (or SCTP) and UDP on ports 80 and 81 of its address; UDP echoes.</summary>
    private void Serve(AgentEndpoint pod, bool sctp)
    {
        var address = IPAddress.Parse(pod.IPv4);
        foreach (var port in new[] { 80, 81 })
        {
            var tcp = EndpointTraffic.InNamespace(pod.Name, () =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, sctp ? Sctp : ProtocolType.Tcp);
                socket.Bind(new IPEndPoint(address, port));
                socket.Listen(64);
                return socket;
            });
            var udp = EndpointTraffic.InNamespace(pod.Name, () =>
            {
                var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
                socket.Bind(new IPEndPoint(address, port));
                return socket;
            });
            _servers.Add(tcp);
            _servers.Add(udp);
            _ = Task.Run(async () =>
            {
                try
                {
                    while (!_stop.IsCancellationRequested)
                    {
                        using var accepted = await tcp.AcceptAsync(_stop.Token);
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                }
            });
            _ = Task.Run(async () =>
            {
                var buffer = new byte[64];
                try
                {
                    while (!_stop.IsCancellationRequested)
                    {
                        var received = await udp.ReceiveFromAsync(buffer, new IPEndPoint(IPAddress.Any, 0), _stop.Token);
                        await udp.SendToAsync(buffer.AsMemory(0, received.ReceivedBytes), received.RemoteEndPoint, _stop.Token);
                    }
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                }
            });
        }
    }

    /// <summary>
    /// Whether one pod reaches another's port within the probe's timeout: a TCP connection made, or a UDP datagram
    /// echoed, or an SCTP association made (each probe from a socket of its own: a new flow, judged by policy).
    /// </summary>
    private static async Task<bool> ReachesAsync(AgentEndpoint from, AgentEndpoint to, int port, string protocol)
    {
        var target = new IPEndPoint(IPAddress.Parse(to.IPv4), port);
        var udp = protocol == "UDP";
        using var client = EndpointTraffic.InNamespace(from.Name, () => udp
            ? new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp)
            : new Socket(AddressFamily.InterNetwork, SocketType.Stream, protocol == "SCTP" ? Sctp : ProtocolType.Tcp));
        using var timeout = new CancellationTokenSource(ProbeTimeout);
        try
        {
            if (!udp)
            {
                await client.ConnectAsync(target, timeout.Token);
                return true;
            }

            var buffer = new byte[64];
            await client.SendToAsync("netpol"u8.ToArray(), target, timeout.Token);
            return await client.ReceiveAsync(buffer, timeout.Token) == 6;
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _servers.ForEach(s => s.Dispose());
        _stop.Dispose();
        _agent.Dispose();
    }
}
