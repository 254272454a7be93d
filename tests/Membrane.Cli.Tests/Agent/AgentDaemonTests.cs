using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Membrane.Api;
using Membrane.Netlink.Namespaces;
using Membrane.Testing;

namespace Membrane.Cli.Tests.Agent;

/// <summary>
/// The agent as a daemon, through the real process: a second agent never orphans the first, exit 3 reaches the
/// shell, a client holding half a request cannot hold a stop up, a state directory that refuses writes gives errors
/// naming the path with nothing half made, a create killed at any point is swept up by the next start, and requests
/// that name a namespace or labels the agent must refuse are a client's error (400, or 409 for another endpoint's namespace).
/// </summary>
[Collection(AgentProcessCollection.Name)]
public sealed class AgentDaemonTests : IDisposable
{
    private readonly AgentProcess _agent = new("dmn");

    [Fact]
    public async Task A_second_agent_on_the_same_state_directory_or_socket_exits_3_and_the_first_stays_reachable()
    {
        Root.Require();
        await _agent.StartAsync();
        _agent.CreateEndpoint(_agent.EndpointName("web"), "k8s:app=web");
        var elsewhere = Path.Combine(_agent.Directory, "elsewhere");

        foreach (var (socket, state, says) in new[]
        {
            ((string?)null, (string?)null, "in use"),                                      // the same command line again
            (null, elsewhere + "-state", "is in use by another agent"),                     // the same socket, another state directory
            (elsewhere + ".sock", null, "is in use by another agent"),                      // the same state directory, another socket
            (elsewhere + "-2.sock", elsewhere + "-2-state", "bpffs root"),                  // only the same bpffs root
        })
        {
            var (code, output) = _agent.RunAnotherAgent(socket, state);
            Assert.True(code == 3, $"exit {code}, not 3:\n{output}");
            Assert.Contains(says, output);
            Assert.True(File.Exists(_agent.Socket), "the first agent's socket is still there");
            Assert.Contains("web", _agent.CliOk("endpoint", "list"));
        }

        // A bpffs root inside the first agent's, or holding it: the two would mix their pins.
        var nested = Path.Combine(_agent.PinRoot, "links", "mbrnested");
        var outer = Path.GetDirectoryName(_agent.PinRoot)!;
        foreach (var (root, says) in new[] { (nested, $"lies inside {_agent.PinRoot}"), (outer, $"holds {_agent.PinRoot}") })
        {
            var (code, output) = _agent.RunAnotherAgent(elsewhere + "-3.sock", elsewhere + "-3-state", pinRoot: root);
            Assert.True(code == 3, $"exit {code}, not 3:\n{output}");
            Assert.Contains(says, output);
            Assert.True(File.Exists(_agent.Socket), "the first agent's socket is still there");
            Assert.Contains("web", _agent.CliOk("endpoint", "list"));
        }
    }

    /// <summary>
    /// Two agents started together on one socket: neither has bound it yet, so neither answers, and each would remove
    /// the file the other is about to bind. The socket's lock decides: here the test holds it, as the first of the two
    /// would, and the second exits 3 without touching the socket file.
    /// </summary>
    [Fact]
    public async Task An_agent_whose_socket_lock_is_held_exits_3_and_removes_nothing()
    {
        Root.Require();
        await _agent.StartAsync(); // its node namespace; its own socket is another
        var socket = Path.Combine(_agent.Directory, "held.sock");
        File.WriteAllText(socket, "");
        using (new FileStream(socket + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None))
        {
            var (code, output) = _agent.RunAnotherAgent(socket, Path.Combine(_agent.Directory, "held-state"));
            Assert.True(code == 3, $"exit {code}, not 3:\n{output}");
            Assert.Contains("held.sock.lock is locked", output);
            Assert.True(File.Exists(socket), "the socket file is the holder's to remove");
        }
    }

    [Fact]
    public async Task A_policy_is_deleted_by_namespace_and_name_and_a_bare_name_naming_two_is_refused()
    {
        Root.Require();
        await _agent.StartAsync();
        var prod = AgentPolicies.DbAcceptsIPv4PingFromWeb.Replace("namespace: default", "namespace: prod");
        Assert.Equal(0, _agent.Import("two", AgentPolicies.DbAcceptsIPv4PingFromWeb + "\n---\n" + prod).Code);

        var (code, _, stderr) = _agent.Cli("policy", "delete", "db");
        Assert.True(code == 2, $"exit {code}: {stderr}"); // the agent refuses the call
        Assert.Contains("default/db", stderr);
        Assert.Contains("prod/db", stderr);

        _agent.CliOk("policy", "delete", "prod/db");
        var left = _agent.CliOk("policy", "get");
        Assert.Contains("default/db", left);
        Assert.DoesNotContain("prod/db", left);
        (code, _, stderr) = _agent.Cli("policy", "delete", "prod/db");
        Assert.True(code == 2 && stderr.Contains("no policy prod/db"), $"exit {code}: {stderr}");
    }

    /// <summary>--event-rate reaches the datapath's token bucket, at every start (a pinned datapath keeps the last one's).</summary>
    [Fact]
    public async Task The_event_rate_is_written_to_the_datapath_at_every_start()
    {
        Root.Require();
        _agent.ExtraArguments.AddRange(["--event-rate", "5000"]);
        await _agent.StartAsync();
        _agent.CreateEndpoint(_agent.EndpointName("web"), "k8s:app=web"); // so that the datapath stays pinned across the stop
        Assert.Equal(5000u, Config().EventRate);
        Assert.True(_agent.Stop());
        _agent.ExtraArguments.Clear();
        await _agent.StartAsync();
        Assert.Equal(Membrane.Datapath.DatapathConstants.DefaultEventRate, Config().EventRate);
        Assert.Equal(Membrane.Datapath.DatapathConstants.DefaultEventRate, Config().EventBurst);
    }

    private Membrane.Datapath.Layout.DatapathConfig Config()
    {
        using var map = Membrane.Bpf.Maps.BpfMap.OpenPinned(Path.Combine(_agent.PinRoot, "datapath", "mbr_config"));
        Assert.True(map.TryLookup(0u, out Membrane.Datapath.Layout.DatapathConfig config));
        return config;
    }

    [Fact]
    public async Task Policies_that_do_not_read_make_the_agent_exit_3()
    {
        Root.Require();
        await _agent.StartAsync();
        Assert.Equal(0, _agent.Import("db", AgentPolicies.DbAcceptsIPv4PingFromWeb).Code);
        Assert.True(_agent.Stop());
        var path = Path.Combine(_agent.StateDirectory, "policies", "repository.json");
        File.WriteAllText(path, "{ torn");
        Assert.Equal(3, _agent.StartExpectingExit());
        Assert.Contains("repository.json", _agent.Log);
        Assert.True(File.Exists(path), "the file stays for a person to repair");
    }

    [Fact]
    public async Task A_client_holding_half_a_request_does_not_hold_up_a_stop()
    {
        Root.Require();
        await _agent.StartAsync();

        // On the metrics port (any local user can reach it): headers never finished. On the API: a body never finished.
        using var node = NetworkNamespace.Open(_agent.Node);
        using var metrics = node.Run(() => new Socket(SocketType.Stream, ProtocolType.Tcp));
        await metrics.ConnectAsync(new IPEndPoint(IPAddress.Loopback, AgentProcess.MetricsPort), TestContext.Current.CancellationToken);
        await metrics.SendAsync(Encoding.ASCII.GetBytes("GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Half: "), TestContext.Current.CancellationToken);
        using var api = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await api.ConnectAsync(new UnixDomainSocketEndPoint(_agent.Socket), TestContext.Current.CancellationToken);
        await api.SendAsync(Encoding.ASCII.GetBytes("POST /v1/policies HTTP/1.1\r\nHost: membrane\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{\"files\": ["),
            TestContext.Current.CancellationToken);
        await Task.Delay(500, TestContext.Current.CancellationToken);

        var stopping = Stopwatch.StartNew();
        Assert.True(_agent.Stop(20_000), $"the agent did not stop within 20 s\n{_agent.Log}");
        Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(8), $"the stop took {stopping.Elapsed.TotalSeconds:F1} s with half-sent requests open");
        Assert.Equal(0, _agent.Process!.ExitCode);
    }

    [Fact]
    public async Task A_state_directory_that_refuses_writes_gives_errors_naming_the_path_and_nothing_half_made()
    {
        Root.Require();

        // The immutable attribute needs a file system that has it (ext4, xfs, btrfs, and tmpfs since Linux 6.0); where
        // the test's directory is on one that does not, the state directory gets a small tmpfs of its own.
        var probe = Path.Combine(_agent.Directory, "probe");
        Directory.CreateDirectory(probe);
        var mounted = Command.Run("chattr", "+i", probe).ExitCode != 0;
        Command.Run("chattr", "-i", probe);
        Directory.Delete(probe);
        if (mounted)
        {
            Directory.CreateDirectory(_agent.StateDirectory);
            Command.Check("mount", "-t", "tmpfs", "-o", "size=4m,mode=0700", "mbrstate", _agent.StateDirectory);
        }

        try
        {
            await RefusedWritesAsync();
        }
        finally
        {
            if (mounted)
            {
                _agent.Stop();
                Command.Run("umount", "-l", _agent.StateDirectory);
            }
        }
    }

    private async Task RefusedWritesAsync()
    {
        await _agent.StartAsync();
        var web = _agent.CreateEndpoint(_agent.EndpointName("web"), "k8s:app=web");
        var endpoints = Path.Combine(_agent.StateDirectory, "endpoints");
        var policies = Path.Combine(_agent.StateDirectory, "policies");
        Directory.CreateDirectory(policies);
        Command.Check("chattr", "+i", endpoints, policies); // EPERM for every write, root's too
        try
        {
            var name = _agent.EndpointName("db");
            var (code, _, stderr) = _agent.Cli("endpoint", "create", name, "--labels", "k8s:app=db");
            Assert.True(code == 2, $"exit {code}: {stderr}");
            Assert.Contains(endpoints, stderr);
            Assert.Contains("permission denied", stderr);
            Assert.Contains("nothing was applied", stderr);
            Assert.DoesNotContain("internal error", stderr);
            Assert.False(NetworkNamespace.Exists(name), "the namespace of the refused endpoint");
            Assert.DoesNotContain(name, _agent.CliOk("endpoint", "list"));

            var delete = _agent.Cli("endpoint", "delete", web.Name);
            Assert.Equal(2, delete.Code);
            Assert.Contains("failed before anything was removed", delete.Stderr);
            Assert.Contains(endpoints, delete.Stderr);
            Assert.DoesNotContain("state file says it is being deleted", delete.Stderr);
            Assert.True(NetworkNamespace.Exists(web.Name));
            Assert.Contains(web.Name, _agent.CliOk("endpoint", "list"));

            var import = _agent.Import("db", AgentPolicies.DbAcceptsIPv4PingFromWeb);
            Assert.Equal(2, import.Code);
            Assert.Contains(policies, import.Stderr);
            Assert.Contains("nothing was applied", import.Stderr);
            Assert.Contains("policy revision 0,", _agent.CliOk("policy", "get"));
        }
        finally
        {
            Command.Check("chattr", "-i", endpoints, policies);
        }

        Assert.Equal(0, _agent.Import("db", AgentPolicies.DbAcceptsIPv4PingFromWeb).Code);
        _agent.CliOk("endpoint", "delete", web.Name);
    }

    /// <summary>
    /// The agent is killed as soon as each of a create's steps shows (its state file, its namespace, its host-side
    /// interface, its pinned links), and started again: whatever the create had made is gone, or the endpoint is there
    /// whole, and the name can be created again. A namespace is swept only because the file recorded it before it had
    /// a name, so one the agent did not make is never taken.
    /// </summary>
    [Fact]
    public async Task A_create_killed_at_each_step_is_swept_up_by_the_next_start()
    {
        Root.Require();
        await _agent.StartAsync();
        var sweptNamespaces = 0;
        using var node = NetworkNamespace.Open(_agent.Node);
        using var links = Membrane.Netlink.Rtnetlink.Open(node);
        var points = new (string What, Func<string, string, bool> Shows)[]
        {
            ("its state file", (name, _) => File.Exists(Path.Combine(_agent.StateDirectory, "endpoints", name + ".json"))),
            ("its namespace", (name, _) => NetworkNamespace.Exists(name)),
            ("its host interface", (_, host) => links.FindLink(host) is not null),
            ("its pinned links", (name, _) => Directory.Exists(Path.Combine(_agent.PinRoot, "links")) &&
                Directory.GetFiles(Path.Combine(_agent.PinRoot, "links"), name + "_*").Length > 0),
        };

        for (var point = 0; point < points.Length; point++)
        {
            var (what, shows) = points[point];
            var name = _agent.EndpointName("k" + point);
            var host = HostInterfaceName(name);
            using var client = new AgentClient(_agent.Socket);
            var create = client.CreateEndpointAsync(new EndpointCreateRequest(name, "k8s:app=killed"), TestContext.Current.CancellationToken);
            var clock = Stopwatch.StartNew();
            while (!shows(name, host) && !create.IsCompleted && clock.Elapsed < TimeSpan.FromSeconds(10))
            {
                Thread.SpinWait(2000);
            }

            _agent.Kill();
            var namespaceLeft = NetworkNamespace.Exists(name);
            try
            {
                await create;
            }
            catch (AgentApiException)
            {
            }

            await _agent.StartAsync();
            var restored = _agent.Cli("endpoint", "get", name).Code == 0;
            if (!restored)
            {
                Assert.False(NetworkNamespace.Exists(name), $"killed at {what}: the namespace is left\n{_agent.Log}");
                Assert.False(HostLinkExists(host), $"killed at {what}: the host interface is left");
                Assert.False(File.Exists(Path.Combine(_agent.StateDirectory, "endpoints", name + ".json")), $"killed at {what}: the state file is left");
                sweptNamespaces += namespaceLeft ? 1 : 0;
            }

            // Either way the name is free to use (again), and goes cleanly.
            if (!restored)
            {
                _agent.CreateEndpoint(name, "k8s:app=again");
            }

            _agent.CliOk("endpoint", "delete", name);
            Assert.False(NetworkNamespace.Exists(name));
        }

        Assert.True(sweptNamespaces >= 1, "no kill left a namespace behind for the restart to sweep: the test did not reach the step it is about");
    }

    [Fact]
    public async Task Requests_naming_a_namespace_or_labels_the_agent_must_refuse_are_client_errors_and_make_nothing()
    {
        Root.Require();
        await _agent.StartAsync();
        var web = _agent.CreateEndpoint(_agent.EndpointName("web"), "k8s:app=web");

        // Another name for web's namespace: a second bind mount of the same namespace.
        var alias = _agent.Prefix + "-alias";
        using (var webNamespace = NetworkNamespace.Open(web.Name))
        using (webNamespace.Bind(alias))
        {
        }

        using var client = new AgentClient(_agent.Socket);
        foreach (var (request, says) in new[]
        {
            (new EndpointCreateRequest(_agent.EndpointName("n1"), "k8s:app=x", Netns: _agent.Prefix + "-nosuch"), "there is no network namespace"),
            (new EndpointCreateRequest(_agent.EndpointName("n2"), "k8s:app=x", Netns: web.Name), $"is endpoint {web.Name}'s"),
            (new EndpointCreateRequest(_agent.EndpointName("n3"), "k8s:app=x", Netns: _agent.Node), "is the node's own"),
            (new EndpointCreateRequest(_agent.EndpointName("n4"), "k8s:app=x", Netns: "../x"), "contains '/'"),
            (new EndpointCreateRequest(_agent.EndpointName("n5"), "k8s:app=x", Netns: alias), $"is endpoint {web.Name}'s"),
            (new EndpointCreateRequest(_agent.EndpointName("l1"), "k8s:app=x\n"), "label"),
            (new EndpointCreateRequest(_agent.EndpointName("l2"), "k8s:app=\u202Eevil"), "\\u202E"),
            (new EndpointCreateRequest(_agent.EndpointName("l3"), "k8s:app=we\u200Bb"), "\\u200B"),
            (new EndpointCreateRequest(_agent.EndpointName("l4"), "k8s:app=café"), "label"),
            (new EndpointCreateRequest(_agent.EndpointName("l5"), "k8s:app=<b>x</b>"), "label"),
            (new EndpointCreateRequest(_agent.EndpointName("l6"), "k8s: app=x"), "label"),
            (new EndpointCreateRequest(_agent.EndpointName("l7"), "k8s:app=x,reserved:host"), "reserved: labels belong to the identities Membrane makes itself"),
            (new EndpointCreateRequest(_agent.EndpointName("l8"), "cidr:10.0.0.0/8"), "cidr: labels belong"),
        })
        {
            var refused = await Assert.ThrowsAsync<AgentApiException>(() => client.CreateEndpointAsync(request, TestContext.Current.CancellationToken));
            // Another endpoint's namespace is a conflict with what the agent has (409); the rest are bad requests (400).
            Assert.True(refused.Status == (says.StartsWith("is endpoint", StringComparison.Ordinal) ? 409 : 400), $"{request}: {refused.Status} {refused.Message}");
            Assert.Contains(says, refused.Message);
            Assert.False(NetworkNamespace.Exists(request.Name), $"{request.Name} was made");
        }

        Assert.Single(await client.ListEndpointsAsync(TestContext.Current.CancellationToken));
        NetworkNamespace.Delete(alias);
        Assert.Empty(Directory.GetFiles(Path.Combine(_agent.StateDirectory, "endpoints"), "*-n*"));
    }

    [Fact]
    public async Task An_endpoint_delete_leaves_a_namespace_of_its_name_that_someone_made_since()
    {
        Root.Require();
        await _agent.StartAsync();
        var web = _agent.CreateEndpoint(_agent.EndpointName("web"), "k8s:app=web");
        NetworkNamespace.Delete(web.Name);
        using (NetworkNamespace.Create(web.Name))
        {
        }

        _agent.CliOk("endpoint", "delete", web.Name);
        Assert.True(NetworkNamespace.Exists(web.Name), "the namespace made since, by someone else, was removed");
        Assert.Contains("is not the one made for the endpoint", _agent.Log);
    }

    /// <summary>The host-side interface name the agent gives an endpoint (Membrane.Agent's HostInterfaceName).</summary>
    private string HostInterfaceName(string endpoint) => Membrane.Agent.Endpoints.HostInterfaceName.For(_agent.Node, endpoint);

    private bool HostLinkExists(string host) => Command.Run("ip", "-n", _agent.Node, "link", "show", "dev", host).ExitCode == 0;

    public void Dispose() => _agent.Dispose();
}
