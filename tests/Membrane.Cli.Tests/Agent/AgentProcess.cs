using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Membrane.Api;
using Membrane.Netlink.Namespaces;

namespace Membrane.Cli.Tests.Agent;

/// <summary>An endpoint the agent made, as <c>membrane endpoint get -o json</c> gives it.</summary>
public sealed record AgentEndpoint(string Name, string IPv4, string IPv6, string HostInterface, uint Identity)
{
    public string Address(bool ipv6) => ipv6 ? IPv6 : IPv4;
}

/// <summary>
/// A real agent process (this build's <c>membrane agent</c>), started in a node namespace of the test's own with
/// <c>nsenter --net=/run/netns/NODE</c> (docs/cli.md), driven through its socket. Everything it uses is the test's
/// own: the node namespace and the endpoints are named with a unique <c>mbr</c> prefix, the socket, state and
/// policy files live in a temporary directory, the pins under /sys/fs/bpf/membrane-test/NODE, and the pools are
/// drawn at random. It can be killed (SIGKILL), stopped (SIGTERM) and started again with the same paths.
/// <see cref="Dispose"/> removes all of it, whatever state the test left it in.
/// </summary>
public sealed partial class AgentProcess : IDisposable
{
    /// <summary>The agent runs in its own node namespace, so its loopback port cannot collide with another test's.</summary>
    public const int MetricsPort = 9962;

    public const string TestPinRoot = Membrane.Testing.TestPinRoot.Path;

    private readonly StringBuilder _log = new();
    private readonly List<string> _endpoints = [];
    private Process? _process;

    /// <param name="tag">A few letters that say which test made it (names become mbr{tag}{8 hex}).</param>
    public AgentProcess(string tag = "ae")
    {
        Prefix = "mbr" + tag + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));
        Node = Prefix + "-node";
        Directory = Path.Combine(Path.GetTempPath(), Prefix);
        var s = RandomNumberGenerator.GetInt32(0, 256);
        IPv4Pool = $"10.238.{s}.0/24";
        IPv6Pool = $"fd00:238:{s:x}::/64";
    }

    /// <summary>Every name this agent's test makes starts with this (namespaces, endpoints, files).</summary>
    public string Prefix { get; }

    public string Node { get; }

    public string Directory { get; }

    public string Socket => Path.Combine(Directory, "membrane.sock");

    /// <summary>The agent's <c>--state-dir</c>, so that a restart restores from it.</summary>
    public string StateDirectory => Path.Combine(Directory, "state");

    /// <summary>Where this agent pins its links: only under /sys/fs/bpf/membrane-test.</summary>
    public string PinRoot => $"{TestPinRoot}/{Node}";

    public string IPv4Pool { get; }

    public string IPv6Pool { get; }

    public Process? Process => _process;

    /// <summary>More flags for <c>membrane agent</c> (such as <c>--policy-map-entries 600</c>), used from the next start on.</summary>
    public List<string> ExtraArguments { get; } = [];

    public bool IsRunning => _process is { HasExited: false };

    /// <summary>What the agent wrote to standard output and error (JSON log lines), for failure messages.</summary>
    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    /// <summary>The name an endpoint of this test has: the prefix, a dash and its role.</summary>
    public string EndpointName(string role) => $"{Prefix}-{role}";

    /// <summary>Starts the agent (again, after <see cref="Kill"/> or <see cref="Stop"/>, with the same paths) and waits until it is healthy.</summary>
    public async Task StartAsync()
    {
        if (IsRunning)
        {
            throw new InvalidOperationException("the agent is running already");
        }

        if (!NetworkNamespace.Exists(Node))
        {
            using var node = NetworkNamespace.Create(Node);
            using var links = Membrane.Netlink.Rtnetlink.Open(node);
            links.SetLinkUp("lo"); // the metrics listen on the node's loopback
        }

        System.IO.Directory.CreateDirectory(Directory);
        _process?.Dispose();
        var process = Launch(Socket, StateDirectory, Append);
        _process = process;

        using var client = new AgentClient(Socket, TimeSpan.FromSeconds(2));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                Assert.Equal("ok", (await client.StatusAsync()).Health);
                return;
            }
            catch (AgentApiException) when (DateTime.UtcNow < deadline && !process.HasExited)
            {
                await Task.Delay(200);
            }
            catch (AgentApiException e)
            {
                Assert.Fail($"the agent did not come up: {e.Message}\n{Log}");
            }
        }
    }

    /// <summary>
    /// Starts <c>membrane agent</c> in the node namespace with this agent's flags (and <see cref="ExtraArguments"/>),
    /// the socket and state directory given, its output going to <paramref name="log"/>.
    /// </summary>
    private Process Launch(string socket, string stateDirectory, Action<string?> log, string? pinRoot = null)
    {
        var membrane = Path.Combine(AppContext.BaseDirectory, "membrane.dll");
        var start = new ProcessStartInfo("nsenter") { RedirectStandardOutput = true, RedirectStandardError = true };
        List<string> arguments =
        [
            $"--net={NetworkNamespace.RunDirectory}/{Node}", "dotnet", membrane, "agent", "--socket", socket,
            "--node-name", Node, "--ipv4-pool", IPv4Pool, "--ipv6-pool", IPv6Pool,
            "--metrics", $"127.0.0.1:{MetricsPort}", "--bpffs-root", pinRoot ?? PinRoot,
            "--state-dir", stateDirectory, // never /var/lib/membrane
            .. ExtraArguments,
        ];

        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => log(e.Data);
        process.ErrorDataReceived += (_, e) => log(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    /// <summary>
    /// Runs another <c>membrane agent</c> beside this one, on this agent's socket and state directory unless told
    /// otherwise, until it exits (at most <paramref name="seconds"/>): its exit code and what it wrote.
    /// </summary>
    public (int ExitCode, string Output) RunAnotherAgent(string? socket = null, string? stateDirectory = null, int seconds = 30, string? pinRoot = null)
    {
        var output = new StringBuilder();
        using var process = Launch(socket ?? Socket, stateDirectory ?? StateDirectory, line =>
        {
            lock (output)
            {
                output.AppendLine(line);
            }
        }, pinRoot);
        if (!process.WaitForExit(seconds * 1000))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(10_000);
            Assert.Fail($"the second agent was still running after {seconds} s:\n{output}");
        }

        process.WaitForExit(); // the output's end
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }
    }

    /// <summary>Starts the agent and waits for it to exit by itself (a start it refuses): its exit code.</summary>
    public int StartExpectingExit(int seconds = 30)
    {
        if (!NetworkNamespace.Exists(Node))
        {
            using var node = NetworkNamespace.Create(Node);
        }

        System.IO.Directory.CreateDirectory(Directory);
        _process?.Dispose();
        _process = Launch(Socket, StateDirectory, Append);
        Assert.True(_process.WaitForExit(seconds * 1000), $"the agent did not exit within {seconds} s\n{Log}");
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: the agent gets no chance to clean up (its pins stay, so enforcement does).</summary>
    public void Kill()
    {
        if (IsRunning)
        {
            _process!.Kill();
            Assert.True(_process.WaitForExit(10_000), "the agent did not die of SIGKILL in 10 s");
        }
    }

    /// <summary>SIGTERM: the agent stops cleanly, leaving its endpoints for the next one (Dispose removes them). False when it did not stop in time.</summary>
    public bool Stop(int milliseconds = 15_000)
    {
        if (!IsRunning)
        {
            return true;
        }

        _ = KillNative(_process!.Id, 15); // SIGTERM (asm-generic/signal.h); a fresh machine need not have kill(1)
        return _process.WaitForExit(milliseconds);
    }

    /// <summary>Runs the CLI in-process against this agent's socket.</summary>
    public (int Code, string Stdout, string Stderr) Cli(params string[] arguments) => CliHarness.Run([.. arguments, "--socket", Socket]);

    /// <summary>Runs the CLI and asserts exit 0; gives standard output.</summary>
    public string CliOk(params string[] arguments)
    {
        var (code, stdout, stderr) = Cli(arguments);
        Assert.True(code == 0, $"membrane {string.Join(' ', arguments)}: exit {code}\n{stderr}{stdout}");
        return stdout;
    }

    /// <summary><c>membrane endpoint create</c> then <c>endpoint get -o json</c>; the endpoint's namespace is removed at Dispose whatever happens.</summary>
    public AgentEndpoint CreateEndpoint(string name, string labels, params string[] options)
    {
        _endpoints.Add(name);
        CliOk(["endpoint", "create", name, "--labels", labels, .. options]);
        return GetEndpoint(name);
    }

    public AgentEndpoint GetEndpoint(string name)
    {
        var info = JsonDocument.Parse(CliOk("endpoint", "get", name, "-o", "json")).RootElement;
        return new AgentEndpoint(info.GetProperty("name").GetString()!, info.GetProperty("ipv4").GetString()!, info.GetProperty("ipv6").GetString()!,
            info.GetProperty("hostInterface").GetString()!, info.GetProperty("identity").GetUInt32());
    }

    /// <summary>Writes <paramref name="yaml"/> to NAME.yaml in the test's directory and imports it; gives the CLI's result.</summary>
    public (int Code, string Stdout, string Stderr) Import(string name, string yaml, params string[] options)
    {
        var path = Path.Combine(Directory, name + ".yaml");
        File.WriteAllText(path, yaml);
        return Cli(["policy", "import", path, .. options]);
    }

    /// <summary>GET /metrics from inside the node namespace: the socket is made there, then used from here.</summary>
    public async Task<string> ScrapeAsync(CancellationToken cancellation)
    {
        using var node = NetworkNamespace.Open(Node);
        var handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancel) =>
            {
                var socket = node.Run(() => new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp));
                await socket.ConnectAsync(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, MetricsPort), cancel);
                return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
            },
        };
        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(5) };
        return await http.GetStringAsync($"http://127.0.0.1:{MetricsPort}/metrics", cancellation);
    }

    public void Dispose()
    {
        var failures = new List<string>();
        void Try(string what, Action action)
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                failures.Add($"{what}: {e.Message}");
            }
        }

        Try("stop the agent", () =>
        {
            if (!Stop())
            {
                _process!.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }

            _process?.Dispose();
        });

        // The endpoints' namespaces (a killed agent leaves them), then any other of this test's, the node's last.
        var leftovers = NamespacesStartingWith(Prefix).Concat(_endpoints).Distinct().Where(n => n != Node).Append(Node);
        foreach (var name in leftovers)
        {
            Try($"delete netns {name}", () =>
            {
                if (NetworkNamespace.Exists(name))
                {
                    NetworkNamespace.Delete(name);
                }
            });
        }

        Try("remove the directory", () =>
        {
            if (System.IO.Directory.Exists(Directory))
            {
                System.IO.Directory.Delete(Directory, recursive: true);
            }
        });

        // After a kill -9 the agent's pins remain (that is the point); unlinking them releases the links.
        Try("remove the pins", () =>
        {
            if (System.IO.Directory.Exists(PinRoot))
            {
                System.IO.Directory.Delete(PinRoot, recursive: true);
            }
        });
        Membrane.Testing.TestPinRoot.RemoveIfEmpty();
        if (failures.Count > 0)
        {
            throw new InvalidOperationException("cleanup failed: " + string.Join("; ", failures));
        }
    }

    private static IEnumerable<string> NamespacesStartingWith(string prefix) =>
        System.IO.Directory.Exists(NetworkNamespace.RunDirectory)
            ? System.IO.Directory.GetFiles(NetworkNamespace.RunDirectory, prefix + "*").Select(Path.GetFileName).OfType<string>()
            : [];

    private void Append(string? line)
    {
        lock (_log)
        {
            _log.AppendLine(line);
        }
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int KillNative(int pid, int signal);
}
