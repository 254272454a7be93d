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
            await app.WaitForShutdownAsync(stopping);
            await shutdown.CancelAsync();
            await collecting;
            await guarding;

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
            endpointId => nodeAgent.EndpointById(endpointId) is { } record ? Peer(nodeAgent, record.Identity, record) : null,
            identity => Peer(nodeAgent, identity, nodeAgent.EndpointByIdentity(identity))));
        var app = builder.Build();
        // No failure leaves a client with an empty 500: whatever a handler did not answer itself is an internal error
        // in the API's JSON, with the message, and logged.
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception e) when (!context.Response.HasStarted && e is not OperationCanceledException)
            {
                app.Logger.LogError(e, "internal error answering {Method} {Path}", context.Request.Method, context.Request.Path.Value);
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                await context.Response.WriteAsJsonAsync(new ApiError($"internal error: {e.Message}"), ApiJsonContext.Default.ApiError);
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
        app.MapGet("/v1/status", () =>
        {
            var counters = Metrics.DatapathCounters.Read(agent.Datapath);
            var (repinned, lastRepin, problems) = pins.Read();
            var policyMap = agent.PolicyMapUsage;
            return Results.Json(
                new StatusResponse(problems.Count == 0 ? "ok" : "degraded", options.NodeName, agent.Endpoints.Count, agent.Policies.Revision, agent.AttachMode?.ToString(),
                    counters.Forwarded, counters.DropsByReason.Where(d => d.Value > 0).ToDictionary(d => Metrics.AgentMetrics.Name(d.Key), d => d.Value),
                    counters.EventsSuppressed, counters.EventsLost, counters.ConntrackEntries,
                    new PinStatus(problems.Count > 0 ? "failing" : repinned > 0 ? "repinned" : "ok", repinned, lastRepin, problems),
                    new MapUsage(policyMap.InUse, policyMap.Capacity)),
                ApiJsonContext.Default.StatusResponse);
        });

        app.MapGet("/v1/ipcache", () => Results.Json(
            agent.LiveIpcache().Select(e => new IpcacheEntryInfo(e.Prefix.ToString(), e.Identity, agent.LabelsOf(e.Identity))).ToList(),
            ApiJsonContext.Default.ListIpcacheEntryInfo));

        // One JSON object per line, flushed as each event comes, for as long as the client stays.
        app.MapGet("/v1/monitor", async (HttpContext context, Monitor.EventHub hub, IHostApplicationLifetime lifetime) =>
        {
            // A stream ends when its client goes or when the agent stops: the host waits for open requests before it
            // exits, and a monitor left open would hold a SIGTERM up for the whole shutdown timeout.
            using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
            context.Response.ContentType = "application/x-ndjson";
            await context.Response.Body.FlushAsync(ending.Token);
            try
            {
                await foreach (var monitored in hub.Subscribe(ending.Token))
                {
                    // Serialised to memory first: Kestrel allows no synchronous writes, and the line must not be indented.
                    var line = new System.Buffers.ArrayBufferWriter<byte>();
                    using (var json = new System.Text.Json.Utf8JsonWriter(line))
                    {
                        System.Text.Json.JsonSerializer.Serialize(json, monitored, ApiJsonContext.Default.MonitorEvent);
                    }

                    System.Buffers.BuffersExtensions.Write(line, "\n"u8);
                    await context.Response.Body.WriteAsync(line.WrittenMemory, ending.Token);
                    await context.Response.Body.FlushAsync(ending.Token);
                }
            }
            catch (OperationCanceledException)
            {
            }
        });

        app.MapGet("/v1/endpoints", () => Results.Json(agent.Endpoints.Select(Info).ToList(), ApiJsonContext.Default.ListEndpointInfo));

        app.MapGet("/v1/endpoints/{name}", (string name) => agent.Endpoint(name) is { } record
            ? Results.Json(Info(record), ApiJsonContext.Default.EndpointInfo)
            : Error(StatusCodes.Status404NotFound, $"no endpoint {name}"));

        app.MapGet("/v1/endpoints/{name}/policy-map", (string name) => agent.LivePolicy(name) is { } rows
            ? Results.Json(rows.Select(r => new BpfPolicyEntry(r.Row.Direction, r.Row.Identity,
                    agent.LabelsOf(r.Row.Identity),
                    r.Row.Protocol, r.Row.Covers, r.Row.Verdict, [.. r.Rules.Select(o => o.ToString())])).ToList(),
                ApiJsonContext.Default.ListBpfPolicyEntry)
            : Error(StatusCodes.Status404NotFound, $"no endpoint {name}"));

        app.MapGet("/v1/conntrack", (string? endpoint) =>
        {
            if (endpoint is not null && agent.Endpoint(endpoint) is null)
            {
                return Error(StatusCodes.Status404NotFound, $"no endpoint {endpoint}");
            }

            return Results.Json(agent.LiveConntrack().Where(c => endpoint is null || c.Endpoint == endpoint)
                .Select(c => new ConntrackEntryInfo(c.Endpoint, c.Row.Direction, c.Row.Protocol, c.Row.Source, c.Row.Destination, c.Row.Ports, c.Row.State, c.Row.SecondsLeft))
                .ToList(), ApiJsonContext.Default.ListConntrackEntryInfo);
        });

        app.MapPost("/v1/trace", async (HttpRequest request) =>
        {
            var body = await Read(request, ApiJsonContext.Default.TraceRequestBody);
            if (body is null)
            {
                return Error(StatusCodes.Status400BadRequest, "the body must be a trace: {\"source\", \"destination\", \"sourceIp\", \"destinationIp\", \"port\", \"icmp\"}");
            }

            try
            {
                var query = Membrane.Policy.Engine.Tracing.TraceQuery.Parse(body.Source, body.Destination, body.SourceIp, body.DestinationIp, body.Port, body.Icmp);
                return Results.Json(Tracing.TraceReports.Of(agent.Trace(query)), ApiJsonContext.Default.TraceReport);
            }
            catch (Exception e) when (e is FormatException or ArgumentException)
            {
                return Error(StatusCodes.Status400BadRequest, e.Message);
            }
        });

        app.MapPost("/v1/endpoints", async (HttpRequest request) =>
        {
            var body = await Read(request, ApiJsonContext.Default.EndpointCreateRequest);
            if (body is null)
            {
                return Error(StatusCodes.Status400BadRequest, "the body must be an endpoint: {\"name\", \"labels\", \"namespace\", \"netns\"}");
            }

            // Only none at all: white space is refused by the label syntax, by name, never trimmed away.
            if (string.IsNullOrEmpty(body.Labels))
            {
                return Error(StatusCodes.Status400BadRequest, "labels: an endpoint needs at least one label, such as k8s:app=web");
            }

            if (!Membrane.Agent.Endpoints.EndpointName.IsValidNamespace(body.Namespace))
            {
                return Error(StatusCodes.Status400BadRequest, $"namespace: \"{body.Namespace}\" is not a Kubernetes namespace name (a DNS label of at most 63 characters)");
            }

            LabelSet labels;
            try
            {
                labels = Membrane.Agent.Endpoints.EndpointLabels.Parse(body.Labels);
            }
            catch (FormatException e)
            {
                return Error(StatusCodes.Status400BadRequest, $"labels: {e.Message}");
            }

            try
            {
                return Results.Json(Info(agent.CreateEndpoint(body.Name, labels, body.Namespace, body.Netns)), ApiJsonContext.Default.EndpointInfo,
                    statusCode: StatusCodes.Status201Created);
            }
            catch (ArgumentException e)
            {
                return Error(StatusCodes.Status400BadRequest, e.Message);
            }
            catch (Membrane.Datapath.Writing.MapFullException e)
            {
                return Error(StatusCodes.Status507InsufficientStorage, $"creating endpoint {body.Name} was refused, and nothing was left: {e.Message}");
            }
            catch (Exception e) when (e is Membrane.Netlink.NetlinkException or Membrane.Bpf.BpfException or InvalidOperationException or IOException)
            {
                return Error(StatusCodes.Status500InternalServerError, $"creating endpoint {body.Name} failed, and nothing was left: {e.Message}");
            }
        });

        app.MapDelete("/v1/endpoints/{name}", (string name) =>
        {
            try
            {
                return agent.DeleteEndpoint(name) ? Results.NoContent() : Error(StatusCodes.Status404NotFound, $"no endpoint {name}");
            }
            catch (EndpointDeleteException e)
            {
                return Error(StatusCodes.Status500InternalServerError, e.Message);
            }
        });

        app.MapGet("/v1/policies", () => Results.Json(Policies(agent), ApiJsonContext.Default.PolicyListResponse));

        app.MapPost("/v1/policies", async (HttpRequest request) =>
        {
            var body = await Read(request, ApiJsonContext.Default.PolicyImportRequest);
            if (body is null || body.Files is null || body.Files.Count == 0 || body.Files.Any(f => f is null || f.File is null || f.Text is null))
            {
                return Error(StatusCodes.Status400BadRequest, "the body must be {\"files\": [{\"file\", \"text\"}, ...]} with at least one file");
            }

            PolicyChange change;
            try
            {
                change = agent.Import([.. body.Files.Select(f => new PolicyText(f.File, f.Text))], body.AllowL4Only);
            }
            catch (Exception e) when (RefusedChange(e) is { } refused)
            {
                return refused;
            }

            var findings = change.Report.Files.SelectMany(file => file.AllFindings.Select(f => Finding(file.File, f, refused: !body.AllowL4Only && NodeAgent.IsUnenforceable(f)))).ToList();
            return Results.Json(new PolicyImportResponse(change.Applied, change.Revision, findings), ApiJsonContext.Default.PolicyImportResponse,
                statusCode: change.Applied ? StatusCodes.Status200OK : StatusCodes.Status422UnprocessableEntity);
        });

        app.MapDelete("/v1/policies", () => DeletePolicies(agent, [.. agent.Policies.Repository.Resources.Select(r => r.Key)]));

        app.MapDelete("/v1/policies/{name}", (string name) =>
        {
            // The client escapes NAMESPACE/NAME as one segment; routing leaves %2F escaped in the value it gives, since
            // decoding it earlier would make it a path separator.
            name = Uri.UnescapeDataString(name);
            var matches = agent.Policies.Repository.Resources.Where(r => Name(r.Key) == name || r.Key.Name == name).Select(r => r.Key).ToList();
            if (matches.Count == 0)
            {
                return Error(StatusCodes.Status404NotFound, $"no policy {name}");
            }

            if (matches.Count > 1)
            {
                return Error(StatusCodes.Status409Conflict, $"{name} names {matches.Count} policies; give NAMESPACE/NAME: {string.Join(", ", matches.Select(Name))}");
            }

            return DeletePolicies(agent, matches);
        });
    }

    private static IResult DeletePolicies(NodeAgent agent, IReadOnlyList<ResourceKey> keys)
    {
        try
        {
            agent.DeletePolicies(keys);
            return Results.Json(Policies(agent), ApiJsonContext.Default.PolicyListResponse);
        }
        catch (Exception e) when (RefusedChange(e) is { } refused)
        {
            return refused;
        }
    }

    /// <summary>
    /// A policy change the agent took back whole: 507 when it does not fit in a map (the message names the map and its
    /// capacity), 500 when the kernel or the state directory refused it part way. Either way nothing of it was applied.
    /// </summary>
    private static IResult? RefusedChange(Exception e) => e switch
    {
        Membrane.Datapath.Writing.MapFullException full => Error(StatusCodes.Status507InsufficientStorage, $"refused: {full.Message}"),
        Membrane.Agent.State.StateStoreException state => Error(StatusCodes.Status500InternalServerError,
            $"the change could not be saved in the state directory ({state.Message}), so nothing was applied"),
        Membrane.Bpf.BpfException bpf => Error(StatusCodes.Status500InternalServerError, $"the kernel refused the change ({bpf.Message}), so nothing was applied"),
        InvalidOperationException invalid => Error(StatusCodes.Status500InternalServerError, invalid.Message),
        _ => null,
    };

    /// <summary>A finding as the API gives it; one the import refused for is an error, saying how to apply it anyway.</summary>
    private static FindingInfo Finding(string file, FieldError f, bool refused) => new(
        file, f.Position.Line, f.Position.Column,
        refused || f.Severity == Severity.Error ? "error" : f.Severity.ToString().ToLowerInvariant(),
        f.Code, f.Path,
        refused ? $"{f.Message}; policy import refuses what it cannot enforce (--allow-l4-only applies it anyway, enforcing only what this says)" : f.Message);

    private static MonitorPeer Peer(NodeAgent agent, uint identity, EndpointRecord? record) => new(
        identity, record?.Name, record?.KubernetesNamespace,
        agent.LabelsOf(identity));

    private static async Task<T?> Read<T>(HttpRequest request, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        try
        {
            return await request.ReadFromJsonAsync(type);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or BadHttpRequestException)
        {
            return default;
        }
    }

    private static PolicyListResponse Policies(NodeAgent agent) => new(agent.Policies.Revision,
        [.. agent.Policies.Repository.Resources.Select(r => new PolicyInfo(r.Key.Kind.ToString(), r.Key.Namespace, r.Key.Name, r.Document.Position.File))
            .OrderBy(p => p.Namespace, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal)]);

    private static string Name(ResourceKey key) => key.Namespace is { Length: > 0 } ns ? $"{ns}/{key.Name}" : key.Name;

    private static EndpointInfo Info(EndpointRecord record) => new(
        record.Name, record.KubernetesNamespace, record.Network.NetworkNamespace, record.Identity, record.Labels,
        record.Network.IPv4.ToString(), record.Network.IPv6.ToString(), record.Network.HostInterface, record.Network.HostIndex);

    private static IResult Error(int status, string message) => Results.Json(new ApiError(message), ApiJsonContext.Default.ApiError, statusCode: status);
}
