using Membrane.Agent.Node;
using Membrane.Agent.State;
using Membrane.Api;
using Membrane.Netlink.Namespaces;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Engine.Service;
using Membrane.Policy.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;
using System.Net;

namespace Membrane.Agent.Hosting;

/// <summary>
/// <c>membrane agent</c>: the node agent behind its API, with ASP.NET Core on a unix socket, in the foreground, with
/// structured logs and a clean stop on SIGTERM. The node is the network namespace the agent runs in.
/// </summary>
public static class AgentHost
{
    /// <summary>The largest request the API reads: an import of many policies fits, a runaway client does not.</summary>
    public const long MaxRequestBytes = 64L << 20;

    /// <summary>
    /// How long a stop waits for clients: a request still open after this is cut off, so no client (a half-sent request
    /// on the metrics port, which any local user can reach) holds a SIGTERM up. A change already running under the
    /// agent's lock completes, or is taken back, before the agent exits.
    /// </summary>
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(3);

    /// <summary>How long a client has to send a request's headers before Kestrel closes the connection.</summary>
    public static readonly TimeSpan RequestHeadersTimeout = TimeSpan.FromSeconds(10);

    public static async Task<int> RunAsync(AgentHostOptions options, CancellationToken stopping = default)
    {
        var app = Build(options, out var agent, out var socketLock);
        using (socketLock)
        using (agent)
        using (app.Services.GetRequiredService<Monitor.EventHub>())
        {
            agent.Warning += message => app.Logger.LogWarning("{Warning}", message);
            var pins = app.Services.GetRequiredService<PinWatch>();

            // Written at every start, before any monitor can attach: a pinned datapath keeps the rate the last agent gave it.
            var config = agent.Datapath.GetConfig();
            agent.Datapath.SetConfig(config with { EventRate = options.EventRate, EventBurst = options.EventRate });
            try
            {
                await app.StartAsync(stopping);
            }
            catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse } ||
                e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                // Another agent bound the socket (or the metrics port) between this one's check and its bind.
                throw new AgentStateException($"cannot listen: {e.Message.TrimEnd('.')}. Hint: give each agent its own --socket and --metrics", e);
            }

            if (OperatingSystem.IsLinux())
            {
                File.SetUnixFileMode(options.Socket, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }

            LogRestore(app.Logger, agent.Restored);
            if (agent.PolicyMapUsage.Capacity != options.PolicyMapEntries)
            {
                app.Logger.LogWarning("the pinned policy map holds {Capacity} entries, not the {Configured} configured; the setting takes effect when " +
                    "the datapath is loaded anew (after the node's last endpoint is deleted, or a reboot)", agent.PolicyMapUsage.Capacity, options.PolicyMapEntries);
            }

            app.Logger.LogInformation("membrane agent serving on {Socket} for node {Node}", options.Socket, options.NodeName);
            using var shutdown = CancellationTokenSource.CreateLinkedTokenSource(stopping, app.Lifetime.ApplicationStopping);
            var collecting = CollectGarbageAsync(agent, app.Logger, shutdown.Token);
            var guarding = GuardPinsAsync(agent, pins, app.Logger, options.PinCheckInterval, shutdown.Token);
            var resyncing = ResyncAsync(agent, app.Logger, options.ResyncInterval, shutdown.Token);
            await app.WaitForShutdownAsync(stopping);
            await shutdown.CancelAsync();
            await collecting;
            await guarding;
            await resyncing;

            // Before letting go of the links: every pin in place, so that the stop detaches nothing.
            CheckPins(agent, pins, app.Logger, "at stop");
            await app.DisposeAsync();
        }

        return 0;
    }

    /// <summary>
    /// Checks the pins every <paramref name="interval"/> and pins again what was removed from outside: a tcx link
    /// without a pin detaches when the agent's descriptor closes, at its next stop or crash, which is how removed pins
    /// would make enforcement fail open. Each repair is logged, and the status says what was found.
    /// </summary>
    private static async Task GuardPinsAsync(NodeAgent agent, PinWatch pins, ILogger logger, TimeSpan interval, CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                CheckPins(agent, pins, logger, "while running");
                await Task.Delay(interval, stopping);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Every <paramref name="interval"/>, compares the kernel's maps with what the agent wrote and puts back what
    /// differs (<see cref="NodeAgent.Resync"/>); what it found is logged as a warning, and counted in the metrics.
    /// </summary>
    private static async Task ResyncAsync(NodeAgent agent, ILogger logger, TimeSpan interval, CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await Task.Delay(interval, stopping);
                try
                {
                    if (agent.Resync() is { Total: > 0 } drift)
                    {
                        logger.LogWarning("the kernel's maps differed from what the agent wrote, and were put back: {Drift}", drift);
                    }
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    logger.LogError(e, "resync failed; it is tried again in {Interval}", interval);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static void CheckPins(NodeAgent agent, PinWatch pins, ILogger logger, string when)
    {
        IReadOnlyList<Membrane.Datapath.Ebpf.Loading.PinRepair> check;
        try
        {
            check = agent.RepairPins();
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            check = [new Membrane.Datapath.Ebpf.Loading.PinRepair("(pin check)", e.Message)];
        }

        pins.Record(check);
        foreach (var repair in check)
        {
            if (repair.Repinned)
            {
                logger.LogWarning("pin removed from outside, pinned again {When}: {Path}", when, repair.Path);
            }
            else
            {
                logger.LogError("pin missing and cannot be made {When}: {Problem}; if the agent stops, that endpoint fails closed (all its traffic is dropped) until it starts again",
                    when, repair.ToString());
            }
        }
    }

    private static void LogRestore(ILogger logger, RestoreReport restored)
    {
        foreach (var warning in restored.Warnings)
        {
            logger.LogError("{Warning}", warning);
        }

        foreach (var problem in restored.Problems)
        {
            logger.LogError("state file set aside: {Problem}", problem.ToString());
        }

        foreach (var swept in restored.Swept)
        {
            logger.LogWarning("endpoint removed on restore: {Reason}", swept);
        }

        if (restored.Restored.Count > 0 || restored.Policies > 0)
        {
            logger.LogInformation("restored {Endpoints} endpoints and {Policies} policies at revision {Revision}",
                restored.Restored.Count, restored.Policies, restored.Revision);
        }
    }

    /// <summary>How often expired conntrack and fragment entries are removed.</summary>
    public static readonly TimeSpan GarbageCollectionInterval = TimeSpan.FromSeconds(30);

    private static async Task CollectGarbageAsync(NodeAgent agent, ILogger logger, CancellationToken stopping)
    {
        try
        {
            while (!stopping.IsCancellationRequested)
            {
                await Task.Delay(GarbageCollectionInterval, stopping);
                var removed = agent.CollectGarbage();
                if (removed > 0)
                {
                    logger.LogInformation("removed {Count} expired conntrack and fragment entries", removed);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>
    /// Builds the agent's host. <paramref name="socketLock"/> holds the socket for this agent until disposed: an flock
    /// on <c>SOCKET.lock</c> beside it, which a second agent on the same socket cannot take, however close together the
    /// two start (a socket that answers can be checked for, but another agent may bind it between that check and this
    /// one's removal of a file a killed agent left).
    /// </summary>
    public static WebApplication Build(AgentHostOptions options, out NodeAgent agent, out IDisposable socketLock)
    {
        var socketDirectory = Path.GetDirectoryName(Path.GetFullPath(options.Socket))!;
        Directory.CreateDirectory(socketDirectory);

        // Nothing is touched before this agent knows it is the only one: the socket's lock, and a socket that answers,
        // are another agent's; and the node agent takes the state directory's and the bpffs root's locks before the
        // socket file, which a killed agent may have left, is removed.
        socketLock = LockSocket(options.Socket);
        if (SocketAnswers(options.Socket))
        {
            socketLock.Dispose();
            throw new AgentStateException($"the socket {options.Socket} is in use by a running agent. Hint: give each agent its own --socket");
        }

        var node = NetworkNamespace.OpenCurrent();
        NodeAgent nodeAgent;
        try
        {
            nodeAgent = new NodeAgent(new NodeAgentOptions(node, options.NodeName)
        {
            IPv4Pool = options.IPv4Pool,
            IPv6Pool = options.IPv6Pool,
            PinRoot = options.BpffsRoot,
            StateDirectory = options.StateDirectory,
            Datapath = Membrane.Datapath.Ebpf.Loading.DatapathLoaderOptions.Default with { PolicyEntries = options.PolicyMapEntries },
        });
        }
        catch
        {
            socketLock.Dispose();
            throw;
        }

        try
        {
            if (File.Exists(options.Socket))
            {
                File.Delete(options.Socket); // a socket left by an agent that was killed
            }

            agent = nodeAgent;
            return Build(options, nodeAgent);
        }
        catch
        {
            nodeAgent.Dispose();
            socketLock.Dispose();
            throw;
        }
    }

    private static FileStream LockSocket(string socket)
    {
        var path = socket + ".lock";
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException e) when (StateStore.IsTaken(e))
        {
            throw new AgentStateException($"the socket {socket} is in use by another agent ({path} is locked). Hint: give each agent its own --socket", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AgentStateException($"the socket's lock {path} cannot be taken: {e.Message.TrimEnd('.')}", e);
        }
    }

    private static WebApplication Build(AgentHostOptions options, NodeAgent nodeAgent)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole();
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning); // requests are not news; the agent logs what it does
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.ListenUnixSocket(options.Socket);
            if (options.Metrics is { } metrics)
            {
                // Metrics only on loopback: they name endpoints and policies, and the API itself is root-only.
                if (!IPAddress.IsLoopback(metrics.Address))
                {
                    throw new ArgumentException($"the metrics address {metrics} is not a loopback address");
                }

                kestrel.Listen(metrics);
            }
            kestrel.Limits.MaxRequestBodySize = MaxRequestBytes;
            kestrel.Limits.RequestHeadersTimeout = RequestHeadersTimeout;
        });
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = ShutdownTimeout);
        builder.Services.ConfigureHttpJsonOptions(json => json.SerializerOptions.TypeInfoResolverChain.Insert(0, ApiJsonContext.Default));
        var pins = new PinWatch();
        builder.Services.AddSingleton(pins);
        builder.Services.AddSingleton(new Monitor.EventHub(nodeAgent.Datapath,
            endpointId => nodeAgent.EndpointById(endpointId) is { } record ? ApiViews.Peer(nodeAgent, record.Identity, record) : null,
            identity => ApiViews.Peer(nodeAgent, identity, nodeAgent.EndpointByIdentity(identity))));
        var app = builder.Build();
        // Handlers throw; this answers. A failure ApiProblems knows is the problem it gives; any other is an internal
        // error, logged with its trace. No failure leaves a client with an empty 500.
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
            {
                var problem = ApiProblems.For(e);
                if (problem is null || problem.Status >= StatusCodes.Status500InternalServerError)
                {
                    app.Logger.LogError(e, "{Kind} answering {Method} {Path}", problem is null ? "internal error" : "failure", context.Request.Method, context.Request.Path.Value);
                }

                await ApiProblems.WriteAsync(context, problem ?? ApiProblems.Internal(e));
            }
        });

        if (options.Metrics is { } endpoint)
        {
            var metrics = new Metrics.AgentMetrics(nodeAgent, pins);
            app.MapMetrics(settings => settings.Registry = metrics.Registry, "/metrics").RequireHost($"*:{endpoint.Port}");
        }

        Map(app, nodeAgent, options, pins);
        return app;
    }

    /// <summary>Whether something accepts connections at a unix socket path (an agent that is running), as opposed to a file a killed one left.</summary>
    private static bool SocketAnswers(string path)
    {
        if (!File.Exists(path))
        {
            return false;
        }

        using var probe = new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.Unix, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Unspecified);
        try
        {
            probe.Connect(new System.Net.Sockets.UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (System.Net.Sockets.SocketException)
        {
            return false;
        }
    }

    private static void Map(WebApplication app, NodeAgent agent, AgentHostOptions options, PinWatch pins)
    {
        InspectionRoutes.Map(app, agent, options.NodeName, pins);
        MonitorRoutes.Map(app);
        EndpointRoutes.Map(app, agent);
        NamespaceRoutes.Map(app, agent);
        PolicyRoutes.Map(app, agent);
    }
}
