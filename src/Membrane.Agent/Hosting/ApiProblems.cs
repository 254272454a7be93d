using Membrane.Agent.Node;
using Membrane.Agent.State;
using Membrane.Api;
using Microsoft.AspNetCore.Http;

namespace Membrane.Agent.Hosting;

/// <summary>
/// Which failure answers with which status, in one place: handlers throw, and the API's error middleware answers with
/// the problem this gives (RFC 9457), so no handler maps exceptions of its own. Every change the agent refuses is taken
/// back whole before the exception leaves it, which is why the details can say that nothing was applied.
/// </summary>
internal static class ApiProblems
{
    /// <summary>The problem for <paramref name="exception"/>, or null for one that is a bug (an internal error, 500).</summary>
    public static ApiProblem? For(Exception exception) => exception switch
    {
        Control.ChangeTimeoutException { Started: false } e => Of(StatusCodes.Status503ServiceUnavailable, "change-dropped", "The change was not made", e.Message),
        Control.ChangeTimeoutException e => Of(StatusCodes.Status504GatewayTimeout, "change-pending", "The change is still being made", e.Message),
        ObjectDisposedException e => Of(StatusCodes.Status503ServiceUnavailable, "stopping", "The agent is stopping", e.Message),
        Cluster.ClusterUnavailableException e => Of(StatusCodes.Status503ServiceUnavailable, "cluster-unavailable", "etcd is out of reach",
            $"the change needs the cluster, so nothing was applied: {e.Message}"),
        ResourceNotFoundException e => Of(StatusCodes.Status404NotFound, "not-found", "Not found", e.Message),
        ResourceConflictException e => Of(StatusCodes.Status409Conflict, "conflict", "Conflict", e.Message),
        BadHttpRequestException e => Of(e.StatusCode, "bad-request", "Bad request", e.Message),
        ArgumentException or FormatException => Of(StatusCodes.Status400BadRequest, "bad-request", "Bad request", exception.Message),
        Membrane.Datapath.Writing.MapFullException e => Of(StatusCodes.Status507InsufficientStorage, "map-full", "A map is full",
            $"refused, and nothing was applied: {e.Message}"),
        EndpointDeleteException e => Of(StatusCodes.Status500InternalServerError, "delete-failed", "An endpoint delete failed", e.Message),
        StateStoreException e => Of(StatusCodes.Status500InternalServerError, "state-directory", "The state directory refused a write",
            $"the change could not be saved in the state directory ({e.Message}), so nothing was applied"),
        Membrane.Bpf.BpfException e => Of(StatusCodes.Status500InternalServerError, "kernel-refused", "The kernel refused a change",
            $"the kernel refused the change ({e.Message}), so nothing was applied"),
        // The agent's own failures name what they left in their message (a create removes what it made, a delete says
        // what it could not remove); nothing is claimed for them here.
        Membrane.Netlink.NetlinkException or InvalidOperationException or IOException => Of(StatusCodes.Status500InternalServerError,
            "change-failed", "A change failed", exception.Message),
        _ => null,
    };

    public static ApiProblem Of(int status, string kind, string title, string detail) => new(ApiProblem.TypeOf(kind), title, status, detail);

    public static ApiProblem Internal(Exception exception) =>
        Of(StatusCodes.Status500InternalServerError, "internal", "Internal error", $"internal error: {exception.Message}");

    /// <summary>Writes <paramref name="problem"/> as the response, with its status and media type.</summary>
    public static Task WriteAsync(HttpContext context, ApiProblem problem)
    {
        context.Response.StatusCode = problem.Status;
        return context.Response.WriteAsJsonAsync(problem, ApiJsonContext.Default.ApiProblem, ApiProblem.ContentType);
    }
}
