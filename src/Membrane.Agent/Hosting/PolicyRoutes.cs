using Membrane.Agent.Control;
using Membrane.Agent.Node;
using Membrane.Api;
using Membrane.Policy.Engine.Service;
using Membrane.Policy.Validation;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Membrane.Agent.Hosting;

/// <summary>
/// Policies: list, import, delete one or all. An import is validated by the request's own thread, and only a valid one
/// waits for the <see cref="Regenerator"/>, which may make it with others queued at the same time. A change the agent
/// refuses is taken back whole (see <see cref="ApiProblems"/>).
/// </summary>
internal static class PolicyRoutes
{
    public static void Map(IEndpointRouteBuilder app, NodeAgent agent, Regenerator changes, TimeSpan timeout, Cluster.ClusterMember? cluster)
    {
        app.MapGet(ApiRoutes.Policies, () => Results.Json(ApiViews.Policies(agent, cluster), ApiJsonContext.Default.PolicyListResponse));

        // An import refused for its findings is an answer too (422), with the findings; nothing of it was applied.
        app.MapPost(ApiRoutes.Policies, async (HttpRequest request, CancellationToken aborted) =>
        {
            var body = await ApiRequests.ReadAsync(request, ApiJsonContext.Default.PolicyImportRequest,
                "{\"files\": [{\"file\", \"text\"}, ...]} with at least one file",
                b => b.Files is { Count: > 0 } && b.Files.All(f => f is { File: not null, Text: not null }));
            var texts = body.Files.Select(f => new PolicyText(f.File, f.Text)).ToList();
            // In cluster mode the import goes to etcd, and comes back to every node (this one included) through its watch.
            var staged = cluster is null ? agent.StageImport(texts, body.AllowL4Only) : null;
            var change = cluster is not null
                ? await cluster.ImportAsync(texts, body.AllowL4Only, aborted)
                : staged!.IsValid
                ? await changes.ChangePoliciesAsync($"the import of {texts.Count} file(s)", StagedPolicyChange.Of(staged, texts), timeout, aborted)
                : agent.Policies.Commit(staged);
            var findings = change.Report.Files.SelectMany(file => file.AllFindings.Select(f =>
                ApiViews.Finding(file.File, f, refused: !body.AllowL4Only && NodeAgent.IsUnenforceable(f)))).ToList();
            return Results.Json(new PolicyImportResponse(change.Applied, change.Revision, findings), ApiJsonContext.Default.PolicyImportResponse,
                statusCode: change.Applied ? StatusCodes.Status200OK : StatusCodes.Status422UnprocessableEntity);
        });

        app.MapDelete(ApiRoutes.Policies, (CancellationToken aborted) =>
            DeleteAsync(agent, changes, timeout, cluster, [.. agent.PolicySnapshot.Resources.Select(r => r.Key)], aborted));

        // The client escapes NAMESPACE/NAME as one segment; routing leaves %2F escaped in the value it gives, since
        // decoding it earlier would make it a path separator.
        app.MapDelete(ApiRoutes.Policy, (string name, CancellationToken aborted) =>
            DeleteAsync(agent, changes, timeout, cluster, [Find(agent, Uri.UnescapeDataString(name))], aborted));
    }

    /// <summary>The one policy <paramref name="name"/> names: <c>NAMESPACE/NAME</c>, or a name only one policy has.</summary>
    private static ResourceKey Find(NodeAgent agent, string name)
    {
        var matches = agent.PolicySnapshot.Resources.Where(r => ApiViews.PolicyName(r.Key) == name || r.Key.Name == name).Select(r => r.Key).ToList();
        return matches.Count switch
        {
            0 => throw new ResourceNotFoundException("policy", name),
            1 => matches[0],
            _ => throw new ResourceConflictException(
                $"{name} names {matches.Count} policies; give NAMESPACE/NAME: {string.Join(", ", matches.Select(ApiViews.PolicyName))}"),
        };
    }

    private static async Task<IResult> DeleteAsync(NodeAgent agent, Regenerator changes, TimeSpan timeout, Cluster.ClusterMember? cluster,
        IReadOnlyList<ResourceKey> keys, CancellationToken aborted)
    {
        if (cluster is not null)
        {
            await cluster.DeleteAsync(keys, aborted);
        }
        else
        {
            await changes.ChangePoliciesAsync($"the delete of {keys.Count} policies", StagedPolicyChange.Delete(keys), timeout, aborted);
        }

        return Results.Json(ApiViews.Policies(agent, cluster), ApiJsonContext.Default.PolicyListResponse);
    }
}
