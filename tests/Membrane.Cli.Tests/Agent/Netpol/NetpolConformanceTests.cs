using System.Net;
using System.Net.Sockets;
using Membrane.Testing;

namespace Membrane.Cli.Tests.Agent.Netpol;

/// <summary>
/// Kubernetes' own NetworkPolicy e2e cases (Agent/Netpol/cases.yaml) against one real agent: upstream's model of
/// namespaces x, y and z with pods a, b and c (pod=NAME, servers on TCP 80), every case's policies imported and its
/// whole truth table probed with real TCP connections, in parallel. The cases run in a shuffled order (its seed is in
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

    [Fact]
    public async Task The_upstream_cases_hold_in_any_order_on_one_agent()
    {
        Root.Require();
        var cases = NetpolCase.Load(Path.Combine(AppContext.BaseDirectory, "Agent", "Netpol", "cases.yaml"));
        await _agent.StartAsync();
        var pods = new Dictionary<string, AgentEndpoint>(StringComparer.Ordinal);
        foreach (var ns in new[] { "x", "y", "z" })
        {
            foreach (var pod in new[] { "a", "b", "c" })
            {
                pods[$"{ns}/{pod}"] = _agent.CreateEndpoint(_agent.EndpointName($"{ns}{pod}"), $"k8s:pod={pod}", "--namespace", ns);
            }
        }

        foreach (var endpoint in pods.Values)
        {
            Serve(endpoint);
        }

        var seed = Environment.TickCount;
        var failures = new List<string>();
        var shuffle = new Random(seed);
        foreach (var netpol in cases.OrderBy(_ => shuffle.Next()).ToList())
        {
            _agent.CliOk("policy", "delete", "--all");
            var (code, stdout, stderr) = _agent.Import("case", netpol.Policies);
            if (code != 0)
            {
                failures.Add($"{netpol.Name}: the import failed (exit {code}): {stderr}{stdout}");
                continue;
            }

            var pairs = netpol.Pods.SelectMany(from => netpol.Pods.Where(to => to != from).Select(to => (From: from, To: to))).ToList();
            var results = await Task.WhenAll(pairs.Select(p => ConnectsAsync(pods[p.From], pods[p.To])));
            var wrong = pairs.Zip(results).Where(r => r.Second != netpol.Expected(r.First.From, r.First.To))
                .Select(r => $"{r.First.From} -> {r.First.To}: {(r.Second ? "connected" : "refused")}, expected {(netpol.Expected(r.First.From, r.First.To) ? "connected" : "refused")}")
                .ToList();
            if (wrong.Count > 0)
            {
                failures.Add($"{netpol.Name}:\n    {string.Join("\n    ", wrong)}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed (order seed {seed}):\n{string.Join("\n", failures)}\n{_agent.Log}");
    }

    /// <summary>A TCP server on port 80 of the pod's address, accepting and closing every connection.</summary>
    private void Serve(AgentEndpoint pod)
    {
        var address = IPAddress.Parse(pod.IPv4);
        var listener = EndpointTraffic.InNamespace(pod.Name, () =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.Bind(new IPEndPoint(address, 80));
            socket.Listen(64);
            return socket;
        });
        _servers.Add(listener);
        _ = Task.Run(async () =>
        {
            try
            {
                while (!_stop.IsCancellationRequested)
                {
                    using var accepted = await listener.AcceptAsync(_stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
            }
        });
    }

    /// <summary>Whether a TCP connection from one pod to another's port 80 is made within the probe's timeout.</summary>
    private static async Task<bool> ConnectsAsync(AgentEndpoint from, AgentEndpoint to)
    {
        using var client = EndpointTraffic.InNamespace(from.Name, () => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));
        using var timeout = new CancellationTokenSource(ProbeTimeout);
        try
        {
            await client.ConnectAsync(new IPEndPoint(IPAddress.Parse(to.IPv4), 80), timeout.Token);
            return true;
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
