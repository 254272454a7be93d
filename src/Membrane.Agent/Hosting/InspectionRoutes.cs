using Membrane.Agent.Node;
using Membrane.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Membrane.Agent.Hosting;

/// <summary>What the agent and the kernel hold now, changing nothing: status, the ipcache, conntrack, and trace.</summary>
internal static class InspectionRoutes
{
    public static void Map(IEndpointRouteBuilder app, NodeAgent agent, string nodeName, PinWatch pins)
    {
        app.MapGet(ApiRoutes.Status, () => Results.Json(Status(agent, nodeName, pins), ApiJsonContext.Default.StatusResponse));

        app.MapGet(ApiRoutes.Ipcache, () => Results.Json(
            agent.LiveIpcache().Select(e => new IpcacheEntryInfo(e.Prefix.ToString(), e.Identity, agent.LabelsOf(e.Identity))).ToList(),
            ApiJsonContext.Default.ListIpcacheEntryInfo));

        app.MapGet(ApiRoutes.Conntrack, (string? endpoint) =>
        {
            if (endpoint is not null && agent.Endpoint(endpoint) is null)
            {
                throw new ResourceNotFoundException("endpoint", endpoint);
            }

            return Results.Json(agent.LiveConntrack().Where(c => endpoint is null || c.Endpoint == endpoint)
                .Select(c => new ConntrackEntryInfo(c.Endpoint, c.Row.Direction, c.Row.Protocol, c.Row.Source, c.Row.Destination, c.Row.Ports, c.Row.State, c.Row.SecondsLeft))
                .ToList(), ApiJsonContext.Default.ListConntrackEntryInfo);
        });

        app.MapPost(ApiRoutes.Trace, async (HttpRequest request) =>
        {
            var body = await ApiRequests.ReadAsync(request, ApiJsonContext.Default.TraceRequestBody,
                "a trace: {\"source\", \"destination\", \"sourceIp\", \"destinationIp\", \"port\", \"icmp\"}");
            var query = Membrane.Policy.Engine.Tracing.TraceQuery.Parse(body.Source, body.Destination, body.SourceIp, body.DestinationIp, body.Port, body.Icmp);
            return Results.Json(TraceReports.Of(agent.Trace(query)), ApiJsonContext.Default.TraceReport);
        });
    }

    private static StatusResponse Status(NodeAgent agent, string nodeName, PinWatch pins)
    {
        var counters = Metrics.DatapathCounters.Read(agent.Datapath);
        var (repinned, lastRepin, problems) = pins.Read();
        var policyMap = agent.PolicyMapUsage;
        return new StatusResponse(problems.Count == 0 ? "ok" : "degraded", nodeName, agent.Endpoints.Count, agent.PolicySnapshot.Revision, agent.AttachMode?.ToString(),
            counters.Forwarded, counters.DropsByReason.Where(d => d.Value > 0).ToDictionary(d => Metrics.AgentMetrics.Name(d.Key), d => d.Value),
            counters.EventsSuppressed, counters.EventsLost, counters.ConntrackEntries,
            new PinStatus(problems.Count > 0 ? "failing" : repinned > 0 ? "repinned" : "ok", repinned, lastRepin, problems),
            new MapUsage(policyMap.InUse, policyMap.Capacity));
    }
}
