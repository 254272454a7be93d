using System.Collections.Frozen;
using Membrane.Datapath.Writing;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Service;

namespace Membrane.Agent.Node;

/// <summary>
/// The node's endpoints and identities as the last change left them: immutable, and published whole when a change ends,
/// so that readers never wait for one. The monitor looks up both endpoints of every event it decodes, and a policy
/// change holds the agent's lock for as long as it regenerates every endpoint; events read meanwhile would otherwise
/// wait in the ring buffer until it overflowed.
/// </summary>
internal sealed class NodeView
{
    public static readonly NodeView Empty = new([], [], null, 0, [], new Dictionary<string, IReadOnlyDictionary<string, string>>(), []);

    private readonly FrozenDictionary<string, EndpointRecord> _byName;
    private readonly FrozenDictionary<uint, EndpointRecord> _byEndpointId;
    private readonly FrozenDictionary<uint, EndpointRecord> _byIdentity;
    private readonly FrozenDictionary<uint, Identity> _identities;

    public NodeView(IEnumerable<EndpointRecord> endpoints, IEnumerable<Identity> identities, PolicyMapBudget? policyMap,
        long policyRevision, IReadOnlyList<(ResourceKey Key, string File)> policies, IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> namespaceLabels,
        IReadOnlyCollection<RemoteEndpoint> remote)
    {
        Remote = remote;
        PolicyRevision = policyRevision;
        Policies = policies;
        var records = endpoints.OrderBy(r => r.Name, StringComparer.Ordinal).ToList();
        Endpoints = records;
        PolicyMap = policyMap;
        _byName = records.ToFrozenDictionary(r => r.Name, StringComparer.Ordinal);
        _byEndpointId = records.ToFrozenDictionary(r => r.EndpointId);

        // Endpoints with the same labels share an identity: any of them names it, the first by name for a stable answer.
        _byIdentity = records.GroupBy(r => r.Identity).ToFrozenDictionary(g => g.Key, g => g.First());
        _identities = identities.ToFrozenDictionary(i => i.Id);
        Namespaces = [.. namespaceLabels.Keys.Concat(records.Select(r => r.KubernetesNamespace)).Distinct().Order(StringComparer.Ordinal)
            .Select(ns => (ns, namespaceLabels.GetValueOrDefault(ns) ?? FrozenDictionary<string, string>.Empty,
                (IReadOnlyList<string>)[.. records.Where(r => r.KubernetesNamespace == ns).Select(r => r.Name)]))];
    }

    /// <summary>Every namespace that has labels or endpoints, with its labels and its endpoints' names, by name.</summary>
    public IReadOnlyList<(string Name, IReadOnlyDictionary<string, string> Labels, IReadOnlyList<string> Endpoints)> Namespaces { get; }

    /// <summary>The other nodes' endpoint addresses enforced against (cluster mode).</summary>
    public IReadOnlyCollection<RemoteEndpoint> Remote { get; }

    /// <summary>Every endpoint, by name.</summary>
    public IReadOnlyList<EndpointRecord> Endpoints { get; }

    /// <summary>The policy repository's revision.</summary>
    public long PolicyRevision { get; }

    /// <summary>The policies held, each with the file it came from.</summary>
    public IReadOnlyList<(ResourceKey Key, string File)> Policies { get; }

    /// <summary>The policy map's capacity and use; null before the datapath is loaded.</summary>
    public PolicyMapBudget? PolicyMap { get; }

    public EndpointRecord? Endpoint(string name) => _byName.GetValueOrDefault(name);

    public EndpointRecord? EndpointById(uint endpointId) => _byEndpointId.GetValueOrDefault(endpointId);

    public EndpointRecord? EndpointByIdentity(uint identity) => _byIdentity.GetValueOrDefault(identity);

    /// <summary>The labels of an identity the node knows; empty for one it does not.</summary>
    public IReadOnlyList<string> LabelsOf(uint identity) =>
        _identities.GetValueOrDefault(identity) is { } known ? [.. known.Labels.Labels.Select(l => l.ToString())] : [];
}
