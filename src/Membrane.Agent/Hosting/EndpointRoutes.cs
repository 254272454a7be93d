using Membrane.Agent.Endpoints;
using Membrane.Agent.Node;
using Membrane.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Membrane.Agent.Hosting;

/// <summary>Endpoints: list, get, create, delete, and the policy map the kernel holds for one.</summary>
internal static class EndpointRoutes
{
    public static void Map(IEndpointRouteBuilder app, NodeAgent agent)
    {
        app.MapGet(ApiRoutes.Endpoints, () => Results.Json(agent.Endpoints.Select(ApiViews.Endpoint).ToList(), ApiJsonContext.Default.ListEndpointInfo));

        app.MapGet(ApiRoutes.Endpoint, (string name) =>
            Results.Json(ApiViews.Endpoint(agent.Endpoint(name) ?? throw new ResourceNotFoundException("endpoint", name)), ApiJsonContext.Default.EndpointInfo));

        app.MapGet(ApiRoutes.EndpointPolicyMap, (string name) => Results.Json(
            (agent.LivePolicy(name) ?? throw new ResourceNotFoundException("endpoint", name))
                .Select(r => new BpfPolicyEntry(r.Row.Direction, r.Row.Identity, agent.LabelsOf(r.Row.Identity),
                    r.Row.Protocol, r.Row.Covers, r.Row.Verdict, [.. r.Rules.Select(o => o.ToString())])).ToList(),
            ApiJsonContext.Default.ListBpfPolicyEntry));

        app.MapPost(ApiRoutes.Endpoints, async (HttpRequest request) =>
        {
            var body = await ApiRequests.ReadAsync(request, ApiJsonContext.Default.EndpointCreateRequest,
                "an endpoint: {\"name\", \"labels\", \"namespace\", \"netns\", \"ports\"}");
            var created = agent.CreateEndpoint(body.Name, Labels(body.Labels), Namespace(body.Namespace), body.Netns, EndpointPorts.Parse(body.Ports));
            return Results.Json(ApiViews.Endpoint(created), ApiJsonContext.Default.EndpointInfo, statusCode: StatusCodes.Status201Created);
        });

        app.MapDelete(ApiRoutes.Endpoint, (string name) =>
            agent.DeleteEndpoint(name) ? Results.NoContent() : throw new ResourceNotFoundException("endpoint", name));
    }

    private static Membrane.Policy.Engine.Labels.LabelSet Labels(string? labels)
    {
        // Only none at all: white space is refused by the label syntax, by name, never trimmed away.
        if (string.IsNullOrEmpty(labels))
        {
            throw new ArgumentException("labels: an endpoint needs at least one label, such as k8s:app=web");
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

    private static string Namespace(string? name) => EndpointName.IsValidNamespace(name)
        ? name!
        : throw new ArgumentException($"namespace: \"{name}\" is not a Kubernetes namespace name (a DNS label of at most 63 characters)");
}
