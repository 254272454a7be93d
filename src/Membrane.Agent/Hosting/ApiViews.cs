using Membrane.Agent.Endpoints;
using Membrane.Agent.Node;
using Membrane.Api;
using Membrane.Policy.Diagnostics;
using Membrane.Policy.Engine.Service;
using Membrane.Policy.Validation;

namespace Membrane.Agent.Hosting;

/// <summary>The agent's records as the API shows them.</summary>
internal static class ApiViews
{
    public static EndpointInfo Endpoint(EndpointRecord record) => new(
        record.Name, record.KubernetesNamespace, record.Network.NetworkNamespace, record.Identity, record.Labels,
        record.Network.IPv4.ToString(), record.Network.IPv6.ToString(), record.Network.HostInterface, record.Network.HostIndex)
    {
        Ports = EndpointPorts.Format(record.NamedPorts) ?? [],
    };

    /// <summary>The policies held; in cluster mode the revision is the cluster's (etcd's) that the node enforces.</summary>
    public static PolicyListResponse Policies(NodeAgent agent, Cluster.ClusterMember? cluster = null)
    {
        var (revision, resources) = agent.PolicySnapshot;
        revision = cluster?.EnforcedPolicyRevision ?? revision;
        return new(revision, [.. resources.Select(r => new PolicyInfo(r.Key.Kind.ToString(), r.Key.Namespace, r.Key.Name, r.File))
            .OrderBy(p => p.Namespace, StringComparer.Ordinal).ThenBy(p => p.Name, StringComparer.Ordinal)]);
    }

    /// <summary><c>NAMESPACE/NAME</c>, or the name of a resource without a namespace.</summary>
    public static string PolicyName(ResourceKey key) => key.Namespace is { Length: > 0 } ns ? $"{ns}/{key.Name}" : key.Name;

    /// <summary>A finding as the API gives it; one the import refused for is an error, saying how to apply it anyway.</summary>
    public static FindingInfo Finding(string file, FieldError f, bool refused) => new(
        file, f.Position.Line, f.Position.Column,
        refused || f.Severity == Severity.Error ? "error" : f.Severity.ToString().ToLowerInvariant(),
        f.Code, f.Path,
        refused ? $"{f.Message}; policy import refuses what it cannot enforce (--allow-l4-only applies it anyway, enforcing only what this says)" : f.Message);

    public static MonitorPeer Peer(NodeAgent agent, uint identity, EndpointRecord? record) => new(
        identity, record?.Name, record?.KubernetesNamespace, agent.LabelsOf(identity));
}
