using Membrane.Agent.Control;
using Membrane.Agent.Node;
using Membrane.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Membrane.Agent.Hosting;

/// <summary>Kubernetes namespaces: their labels, which their endpoints carry for namespace selectors.</summary>
internal static class NamespaceRoutes
{
    public static void Map(IEndpointRouteBuilder app, NodeAgent agent, Regenerator changes, TimeSpan timeout)
    {
        app.MapGet(ApiRoutes.Namespaces, () => Results.Json(
            agent.Namespaces.Select(n => new NamespaceInfo(n.Name, n.Labels, n.Endpoints)).ToList(), ApiJsonContext.Default.ListNamespaceInfo));

        app.MapPatch(ApiRoutes.NamespaceLabels, async (HttpRequest request, string name, CancellationToken aborted) =>
        {
            var body = await ApiRequests.ReadAsync(request, ApiJsonContext.Default.LabelChangeRequest,
                "a label change: {\"set\": \"env=prod,team=a\", \"remove\": [\"team\"]}",
                b => b.Set is { Length: > 0 } || b.Remove is { Count: > 0 });
            var (set, remove) = (EndpointRoutes.Labels(body.Set), EndpointRoutes.Keys(body.Remove ?? []));
            var labels = await changes.RunAsync($"the label change of namespace {name}", () => agent.SetNamespaceLabels(name, set, remove), timeout, aborted);
            // A namespace left with no labels and no endpoints is no longer listed; it is still the answer.
            var endpoints = agent.Namespaces.FirstOrDefault(n => n.Name == name).Endpoints ?? [];
            return Results.Json(new NamespaceInfo(name, labels, endpoints), ApiJsonContext.Default.NamespaceInfo);
        });
    }
}
