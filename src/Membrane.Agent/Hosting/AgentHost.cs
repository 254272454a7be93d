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

    /// <summary>How often expired conntrack and fragment entries are removed.</summary>
    public static readonly TimeSpan GarbageCollectionInterval = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Runs the agent until <paramref name="stopping"/> or SIGTERM. The socket is claimed first (an flock on
    /// <c>SOCKET.lock</c> beside it, which a second agent on the same socket cannot take, however close together the
    /// two start); then the host starts its services in order: the node agent (which takes the state directory's and
    /// the bpffs root's locks, restores, and only then removes a socket file a killed agent left), the monitor, the
    /// background work, and last the API. At the stop they end in the reverse order, and the node agent is disposed
    /// once no request is left.
    /// </summary>
    public static async Task<int> RunAsync(AgentHostOptions options, CancellationToken stopping = default)
    {
        using var socketLock = ClaimSocket(options.Socket);

        // Cluster mode: the node's pod CIDRs come from the cluster (or, with etcd out of reach, from the state directory)
        // before anything is made with them.
        Cluster.ClusterJoin? join = null;
        if (options.Cluster is { } cluster)
        {
            try
            {
                join = await Cluster.ClusterJoin.JoinAsync(cluster, options.NodeName, options.StateDirectory, stopping);
            }
            catch (Cluster.ClusterUnavailableException e)
            {
                throw new AgentStateException($"cluster mode: {e.Message}, and the node has no pod CIDRs of its own yet " +
                    "(the state directory keeps them once etcd has given them); the agent does not start", e);
            }
            catch (ArgumentException e)
            {
                throw new AgentStateException($"cluster mode: {e.Message}", e);
            }
        }

        using var agent = new NodeAgent(new NodeAgentOptions(NetworkNamespace.OpenCurrent(), options.NodeName)
        {
            IPv4Pool = join?.IPv4Cidr ?? options.IPv4Pool,
            IPv6Pool = join?.IPv6Cidr ?? options.IPv6Pool,
            IdentityNumbers = join is null ? null : Cluster.ClusterMember.Numbering(join),
            PinRoot = options.BpffsRoot,
            StateDirectory = options.StateDirectory,
            Datapath = Membrane.Datapath.Ebpf.Loading.DatapathLoaderOptions.Default with { PolicyEntries = options.PolicyMapEntries },
        });
        var app = Build(options, agent, join);
        try
        {
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

            app.Logger.LogInformation("membrane agent serving on {Socket} for node {Node}", options.Socket, options.NodeName);
            await app.WaitForShutdownAsync(stopping);
        }
        finally
        {
            await app.DisposeAsync();
        }

        return 0;
    }

    /// <summary>
    /// Holds the socket for this agent until disposed. A socket that answers is another agent's; nothing is touched
    /// before this agent knows it is the only one.
    /// </summary>
    private static IDisposable ClaimSocket(string socket)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(socket))!);
        var socketLock = LockSocket(socket);
        if (SocketAnswers(socket))
        {
            socketLock.Dispose();
            throw new AgentStateException($"the socket {socket} is in use by a running agent. Hint: give each agent its own --socket");
        }

        return socketLock;
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

    private static WebApplication Build(AgentHostOptions options, NodeAgent nodeAgent, Cluster.ClusterJoin? join)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole();
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning); // requests are not news; the agent logs what it does
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.Warning);
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

        // The services, in the order the host starts them (and the reverse of the order it stops them): the node agent
        // first, since every other reads its datapath; the API, which the host starts last, after them all.
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(nodeAgent);
        builder.Services.AddSingleton<PinWatch>();
        builder.Services.AddHostedService<NodeAgentService>();
        builder.Services.AddSingleton(_ => new Control.Regenerator(nodeAgent));
        builder.Services.AddHostedService(services => services.GetRequiredService<Control.Regenerator>());
        if (join is not null)
        {
            // After the regenerator, which it feeds; before the API, so a request in cluster mode finds it running.
            builder.Services.AddSingleton(services => new Cluster.ClusterMember(options.Cluster!, options.NodeName, nodeAgent,
                services.GetRequiredService<Control.Regenerator>(), join, options.StateDirectory, options.ChangeTimeout,
                services.GetRequiredService<ILogger<Cluster.ClusterMember>>()));
            builder.Services.AddHostedService(services => services.GetRequiredService<Cluster.ClusterMember>());
        }

        builder.Services.AddSingleton(_ => new Monitor.EventHub(() => nodeAgent.Datapath,
            endpointId => nodeAgent.EndpointById(endpointId) is { } record ? ApiViews.Peer(nodeAgent, record.Identity, record) : null,
            identity => ApiViews.Peer(nodeAgent, identity, nodeAgent.EndpointByIdentity(identity))));
        builder.Services.AddHostedService(services => services.GetRequiredService<Monitor.EventHub>());
        builder.Services.AddHostedService<GarbageCollectionService>();
        builder.Services.AddHostedService<PinGuardService>();
        builder.Services.AddHostedService<ResyncService>();
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
            var metrics = new Metrics.AgentMetrics(nodeAgent, app.Services.GetRequiredService<PinWatch>(), app.Services.GetRequiredService<Control.Regenerator>(),
                app.Services.GetService<Cluster.ClusterMember>());
            app.MapMetrics(settings => settings.Registry = metrics.Registry, "/metrics").RequireHost($"*:{endpoint.Port}");
        }

        Map(app, nodeAgent, options, app.Services.GetRequiredService<PinWatch>());
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
        var changes = app.Services.GetRequiredService<Control.Regenerator>();
        EndpointRoutes.Map(app, agent, changes, options.ChangeTimeout);
        NamespaceRoutes.Map(app, agent, changes, options.ChangeTimeout);
        var member = app.Services.GetService<Cluster.ClusterMember>();
        PolicyRoutes.Map(app, agent, changes, options.ChangeTimeout, member);
        ClusterRoutes.Map(app, agent, member);
    }
}
