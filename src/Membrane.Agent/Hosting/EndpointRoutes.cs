using Membrane.Agent.Control;
using Membrane.Agent.Endpoints;
using Membrane.Agent.Node;
using Membrane.Api;
using Membrane.Policy.Engine.Labels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Membrane.Agent.Hosting;

/// <summary>
/// Endpoints: list, get, create, delete, and the policy map the kernel holds for one. Reads answer from the agent's
/// published view; changes are made by the <see cref="Regenerator"/>, in order, and answered once enforced.
/// </summary>
internal static class EndpointRoutes
{
    public static void Map(IEndpointRouteBuilder app, NodeAgent agent, Regenerator changes, TimeSpan timeout)
    {
        app.MapGet(ApiRoutes.Endpoints, () => Results.Json(agent.Endpoints.Select(ApiViews.Endpoint).ToList(), ApiJsonContext.Default.ListEndpointInfo));

        app.MapGet(ApiRoutes.Endpoint, (string name) =>
            Results.Json(ApiViews.Endpoint(agent.Endpoint(name) ?? throw new ResourceNotFoundException("endpoint", name)), ApiJsonContext.Default.EndpointInfo));

        app.MapGet(ApiRoutes.EndpointPolicyMap, (string name) => Results.Json(
            (agent.LivePolicy(name) ?? throw new ResourceNotFoundException("endpoint", name))
                .Select(r => new BpfPolicyEntry(r.Row.Direction, r.Row.Identity, agent.LabelsOf(r.Row.Identity),
                    r.Row.Protocol, r.Row.Covers, r.Row.Verdict, [.. r.Rules.Select(o => o.ToString())])).ToList(),
            ApiJsonContext.Default.ListBpfPolicyEntry));

        app.MapPost(ApiRoutes.Endpoints, async (HttpRequest request, CancellationToken aborted) =>
        {
            var body = await ApiRequests.ReadAsync(request, ApiJsonContext.Default.EndpointCreateRequest,
                "an endpoint: {\"name\", \"labels\", \"namespace\", \"netns\", \"ports\"}");
            // Only none at all: white space is refused by the label syntax, by name, never trimmed away.
            if (string.IsNullOrEmpty(body.Labels))
            {
                throw new ArgumentException("labels: an endpoint needs at least one label, such as k8s:app=web");
            }

            var (labels, ns, ports) = (Labels(body.Labels), Namespace(body.Namespace), EndpointPorts.Parse(body.Ports));
            // The network is made by this request's thread, at the same time as other creates'; only the identity and
            // the policy wait for the regenerator. A create that never gets there takes its network back.
            // On a thread of its own: netlink and the tcx links block in the kernel, and the thread pool's few threads
            // also answer every other call.
            var prepared = await Task.Factory.StartNew(() => agent.PrepareEndpoint(body.Name, labels, ns, body.Netns, ports),
                CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
            EndpointRecord created;
            try
            {
                created = await changes.RunAsync($"the creation of endpoint {body.Name}", () => agent.CompleteEndpoint(prepared), timeout, aborted);
            }
            catch (Exception e)
            {
                agent.AbandonEndpoint(prepared, e);
                throw;
            }

            return Results.Json(ApiViews.Endpoint(created), ApiJsonContext.Default.EndpointInfo, statusCode: StatusCodes.Status201Created);
        });

        app.MapPatch(ApiRoutes.EndpointLabels, async (HttpRequest request, string name, CancellationToken aborted) =>
        {
            var body = await ApiRequests.ReadAsync(request, ApiJsonContext.Default.LabelChangeRequest,
                "a label change: {\"set\": \"k8s:app=web,tier=front\", \"remove\": [\"k8s:tier\"]}",
                b => b.Set is { Length: > 0 } || b.Remove is { Count: > 0 });
            var (set, remove) = (Labels(body.Set), Keys(body.Remove ?? []));
            var changed = await changes.RunAsync($"the label change of endpoint {name}", () => agent.SetLabels(name, set, remove), timeout, aborted);
            return Results.Json(ApiViews.Endpoint(changed), ApiJsonContext.Default.EndpointInfo);
        });

        app.MapDelete(ApiRoutes.Endpoint, async (string name, CancellationToken aborted) =>
            await changes.RunAsync($"the delete of endpoint {name}", () => agent.DeleteEndpoint(name), timeout, aborted)
                ? Results.NoContent()
                : throw new ResourceNotFoundException("endpoint", name));
    }

    /// <summary>Labels a request gives; none at all is an empty set, for a caller to refuse where it needs some.</summary>
    public static LabelSet Labels(string? labels)
    {
        if (string.IsNullOrEmpty(labels))
        {
            return LabelSet.Empty;
        }

        try
        {
            return EndpointLabels.Parse(labels);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"labels: {e.Message}", e);
        }
    }

    /// <summary>Label keys to remove, <c>[SOURCE:]KEY</c>, written as a label's key is (a value is not a key's).</summary>
    public static IReadOnlyList<string> Keys(IReadOnlyList<string> keys)
    {
        if (keys.Count > EndpointLabels.MaxLabels)
        {
            throw new ArgumentException($"remove: {keys.Count} keys; an endpoint has at most {EndpointLabels.MaxLabels} labels");
        }

        foreach (var key in keys)
        {
            if (key is null || !LabelSet.TryParse(key, out var parsed, out var error) || parsed.Labels.Length != 1 || parsed.Labels[0].Value.Length > 0 || key.Contains('='))
            {
                throw new ArgumentException($"remove: {(key is null ? "null" : LabelSyntax.Quote(key))} is not a label key ([SOURCE:]KEY)");
            }
        }

        return keys;
    }

    private static string Namespace(string? name) => EndpointName.IsValidNamespace(name)
        ? name!
        : throw new ArgumentException($"namespace: \"{name}\" is not a Kubernetes namespace name (a DNS label of at most 63 characters)");
}
