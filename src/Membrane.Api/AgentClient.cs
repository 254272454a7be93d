using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json.Serialization.Metadata;

namespace Membrane.Api;

/// <summary>
/// The agent's API over its unix socket (HTTP/1.1, as ASP.NET Core serves it). The socket is found from the caller's
/// choice, else MEMBRANE_SOCKET, else /run/membrane/membrane.sock. Every failure is an
/// <see cref="AgentApiException"/> in words fit to show: the agent's own error, or why it could not be reached.
/// </summary>
public sealed class AgentClient : IDisposable
{
    public const string DefaultSocket = "/run/membrane/membrane.sock";
    public const string SocketVariable = "MEMBRANE_SOCKET";

    private readonly HttpClient _http;
    private readonly SocketsHttpHandler _handler;

    public AgentClient(string? socket = null, TimeSpan? timeout = null)
    {
        Socket = socket ?? (Environment.GetEnvironmentVariable(SocketVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : DefaultSocket);
        var path = Socket;
        var handler = _handler = new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancellation) =>
            {
                var unix = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                try
                {
                    await unix.ConnectAsync(new UnixDomainSocketEndPoint(path), cancellation);
                    return new NetworkStream(unix, ownsSocket: true);
                }
                catch
                {
                    unix.Dispose();
                    throw;
                }
            },
        };
        _http = new HttpClient(handler, disposeHandler: false) { BaseAddress = new Uri("http://membrane/"), Timeout = timeout ?? TimeSpan.FromSeconds(60) };
    }

    public string Socket { get; }

    public Task<StatusResponse> StatusAsync(CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Get, ApiRoutes.Path(ApiRoutes.Status), ApiJsonContext.Default.StatusResponse, cancellation);

    public Task<List<EndpointInfo>> ListEndpointsAsync(CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Get, ApiRoutes.Path(ApiRoutes.Endpoints), ApiJsonContext.Default.ListEndpointInfo, cancellation);

    public Task<EndpointInfo> GetEndpointAsync(string name, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Get, ApiRoutes.Path(ApiRoutes.Endpoint, name), ApiJsonContext.Default.EndpointInfo, cancellation);

    public Task<EndpointInfo> CreateEndpointAsync(EndpointCreateRequest request, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Post, ApiRoutes.Path(ApiRoutes.Endpoints), ApiJsonContext.Default.EndpointInfo, cancellation,
            JsonContent.Create(request, ApiJsonContext.Default.EndpointCreateRequest));

    /// <summary>Changes an endpoint's labels; the answer is the endpoint with its new identity, enforced.</summary>
    public Task<EndpointInfo> LabelEndpointAsync(string name, LabelChangeRequest request, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Patch, ApiRoutes.Path(ApiRoutes.EndpointLabels, name), ApiJsonContext.Default.EndpointInfo, cancellation,
            JsonContent.Create(request, ApiJsonContext.Default.LabelChangeRequest));

    public Task<List<NamespaceInfo>> ListNamespacesAsync(CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Get, ApiRoutes.Path(ApiRoutes.Namespaces), ApiJsonContext.Default.ListNamespaceInfo, cancellation);

    /// <summary>Changes a namespace's labels, which its endpoints carry; the answer is the namespace, its endpoints' new identities enforced.</summary>
    public Task<NamespaceInfo> LabelNamespaceAsync(string name, LabelChangeRequest request, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Patch, ApiRoutes.Path(ApiRoutes.NamespaceLabels, name), ApiJsonContext.Default.NamespaceInfo, cancellation,
            JsonContent.Create(request, ApiJsonContext.Default.LabelChangeRequest));

    public Task DeleteEndpointAsync(string name, CancellationToken cancellation = default) =>
        SendAsync<object>(HttpMethod.Delete, ApiRoutes.Path(ApiRoutes.Endpoint, name), null, cancellation);

    /// <summary>Imports policies; an import refused for its findings (422) is an answer too, with <c>Applied</c> false.</summary>
    public Task<List<BpfPolicyEntry>> EndpointPolicyMapAsync(string name, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Get, ApiRoutes.Path(ApiRoutes.EndpointPolicyMap, name), ApiJsonContext.Default.ListBpfPolicyEntry, cancellation);

    /// <summary>Traces a packet against the agent's live policies and identities; a request that does not parse is a 400 naming the option.</summary>
    public Task<TraceReport> TraceAsync(TraceRequestBody request, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Post, ApiRoutes.Path(ApiRoutes.Trace), ApiJsonContext.Default.TraceReport, cancellation,
            JsonContent.Create(request, ApiJsonContext.Default.TraceRequestBody));

    public Task<List<ConntrackEntryInfo>> ConntrackAsync(string? endpoint = null, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Get, endpoint is null ? ApiRoutes.Path(ApiRoutes.Conntrack) : $"{ApiRoutes.Path(ApiRoutes.Conntrack)}?endpoint={Uri.EscapeDataString(endpoint)}",
            ApiJsonContext.Default.ListConntrackEntryInfo, cancellation);

    /// <summary>The kernel's ipcache as the agent reads it from the map: prefix, identity, labels.</summary>
    public Task<List<IpcacheEntryInfo>> IpcacheAsync(CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Get, ApiRoutes.Path(ApiRoutes.Ipcache), ApiJsonContext.Default.ListIpcacheEntryInfo, cancellation);

    public Task<PolicyImportResponse> ImportPoliciesAsync(PolicyImportRequest request, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Post, ApiRoutes.Path(ApiRoutes.Policies), ApiJsonContext.Default.PolicyImportResponse, cancellation,
            JsonContent.Create(request, ApiJsonContext.Default.PolicyImportRequest), answered: HttpStatusCode.UnprocessableEntity);

    public Task<PolicyListResponse> ListPoliciesAsync(CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Get, ApiRoutes.Path(ApiRoutes.Policies), ApiJsonContext.Default.PolicyListResponse, cancellation);

    /// <summary>The cluster as the agent follows it; 404 (an <see cref="AgentApiException"/>) when the agent is not in cluster mode.</summary>
    public Task<ClusterStatusResponse> ClusterStatusAsync(CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Get, ApiRoutes.Path(ApiRoutes.Cluster), ApiJsonContext.Default.ClusterStatusResponse, cancellation);

    /// <summary>Every live node of the cluster.</summary>
    public Task<List<NodeInfo>> ListNodesAsync(CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Get, ApiRoutes.Path(ApiRoutes.Nodes), ApiJsonContext.Default.ListNodeInfo, cancellation);

    public Task<PolicyListResponse> DeletePoliciesAsync(string? name = null, CancellationToken cancellation = default) =>
        SendAsync(HttpMethod.Delete, name is null ? ApiRoutes.Path(ApiRoutes.Policies) : ApiRoutes.Path(ApiRoutes.Policy, name),
            ApiJsonContext.Default.PolicyListResponse, cancellation);

    /// <summary>
    /// The agent's datapath events as they happen, until <paramref name="cancellation"/> or the agent ends the stream.
    /// A stream has no timeout: it waits as long as the datapath is quiet.
    /// </summary>
    public async IAsyncEnumerable<MonitorEvent> MonitorAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation = default)
    {
        using var streaming = new HttpClient(_handler, disposeHandler: false) { BaseAddress = _http.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        HttpResponseMessage response;
        try
        {
            response = await streaming.SendAsync(new HttpRequestMessage(HttpMethod.Get, ApiRoutes.Path(ApiRoutes.Monitor)), HttpCompletionOption.ResponseHeadersRead, cancellation);
        }
        catch (HttpRequestException e)
        {
            throw new AgentApiException($"cannot reach the agent at {Socket}: {e.InnerException?.Message ?? e.Message}; is `membrane agent` running? (set --socket or {SocketVariable})", inner: e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new AgentApiException($"the agent answered {(int)response.StatusCode} {response.ReasonPhrase} to the monitor", (int)response.StatusCode);
            }

            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellation));
            while (await ReadLineAsync(reader, cancellation) is { } line)
            {
                if (line.Length > 0 && System.Text.Json.JsonSerializer.Deserialize(line, ApiJsonContext.Default.MonitorEvent) is { } monitored)
                {
                    yield return monitored;
                }
            }
        }
    }

    /// <summary>
    /// The next line of the monitor stream. The agent ends the stream only when it stops, and a stream cut short
    /// means it died: either way the monitor cannot go on, which is an <see cref="AgentApiException"/>, not a crash.
    /// </summary>
    private async Task<string> ReadLineAsync(StreamReader reader, CancellationToken cancellation)
    {
        try
        {
            return await reader.ReadLineAsync(cancellation)
                ?? throw new AgentApiException($"the agent at {Socket} ended the monitor stream: it is stopping");
        }
        catch (IOException e)
        {
            throw new AgentApiException($"the monitor stream from the agent at {Socket} broke off ({e.Message}): the agent stopped or died", inner: e);
        }
    }

    public void Dispose()
    {
        _http.Dispose();
        _handler.Dispose();
    }

    private async Task<T> SendAsync<T>(
        HttpMethod method, string path, JsonTypeInfo<T>? type, CancellationToken cancellation, HttpContent? content = null, HttpStatusCode? answered = null)
    {
        HttpResponseMessage response;
        try
        {
            response = await _http.SendAsync(new HttpRequestMessage(method, path) { Content = content }, cancellation);
        }
        catch (HttpRequestException e)
        {
            throw new AgentApiException($"cannot reach the agent at {Socket}: {e.InnerException?.Message ?? e.Message}; is `membrane agent` running? (set --socket or {SocketVariable})", inner: e);
        }
        catch (TaskCanceledException e) when (!cancellation.IsCancellationRequested)
        {
            throw new AgentApiException($"the agent at {Socket} did not answer within {_http.Timeout.TotalSeconds:0} s", inner: e);
        }

        using (response)
        {
            if (!response.IsSuccessStatusCode && response.StatusCode != answered)
            {
                ApiProblem? problem = null;
                try
                {
                    problem = await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.ApiProblem, cancellation);
                }
                catch (Exception e) when (e is System.Text.Json.JsonException or NotSupportedException)
                {
                    // Not a problem document (a proxy's page, an older agent): the status says what there is to say.
                }

                throw new AgentApiException(problem?.Detail ?? $"the agent answered {(int)response.StatusCode} {response.ReasonPhrase}",
                    (int)response.StatusCode, problemType: problem?.Type);
            }

            if (type is null)
            {
                return default!;
            }

            return await response.Content.ReadFromJsonAsync(type, cancellation)
                ?? throw new AgentApiException($"the agent's answer to {method} /{path} was empty", (int)response.StatusCode);
        }
    }
}
