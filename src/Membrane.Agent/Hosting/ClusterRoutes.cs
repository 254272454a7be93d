using Membrane.Agent.Cluster;
using Membrane.Agent.Node;
using Membrane.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Membrane.Agent.Hosting;

/// <summary>The cluster as this agent follows it (cluster mode): its status, and the live nodes. Reads only.</summary>
internal static class ClusterRoutes
{
    public static void Map(IEndpointRouteBuilder app, NodeAgent agent, ClusterMember? member)
    {
        app.MapGet(ApiRoutes.Cluster, () => Results.Json(Status(agent, Require(member)), ApiJsonContext.Default.ClusterStatusResponse));
        app.MapGet(ApiRoutes.Nodes, () => Results.Json(Nodes(Require(member)), ApiJsonContext.Default.ListNodeInfo));
    }

    private static ClusterMember Require(ClusterMember? member) =>
        member ?? throw new ResourceNotFoundException("cluster mode", "on this agent (it was started without --cluster)");

    private static List<NodeInfo> Nodes(ClusterMember member) =>
        [.. member.State.Nodes.Select(n => new NodeInfo(n.Record.Name, n.Record.Addresses, n.Record.PodCidrs, n.Record.Version, n.Record.PolicyRevision, n.Record.Health))];

    private static ClusterStatusResponse Status(NodeAgent agent, ClusterMember member) => new(
        member.NodeName, member.Connected, member.State.Revision, member.AppliedRevision, member.State.PolicyRevision, member.EnforcedPolicyRevision,
        member.LeaseId == 0 ? "none" : member.LeaseId.ToString("x", System.Globalization.CultureInfo.InvariantCulture), member.BadData,
        agent.RemoteEndpoints.Count, Nodes(member));
}
