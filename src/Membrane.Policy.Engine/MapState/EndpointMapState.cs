using System.Collections.Frozen;
using System.Collections.Immutable;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.MapState;

/// <summary>
/// The canonical, immutable policy state of one endpoint: map entries keyed by
/// <see cref="PolicyKey"/>, and whether each direction is default-deny (and which rules made it so).
/// The BPF policy map mirrors it. Entries are already resolved so that a longest-prefix lookup per
/// (identity, protocol) pair is correct: an allow inside a deny's prefix is stored as that deny.
/// </summary>
public sealed class EndpointMapState
{
    private readonly Lazy<FrozenDictionary<(TrafficDirection, uint, byte), (PolicyKey Key, PolicyEntry Entry)[]>> _index;

    public EndpointMapState(ImmutableDictionary<PolicyKey, PolicyEntry> entries, ImmutableArray<RuleOrigin> ingressDefaultDeny, ImmutableArray<RuleOrigin> egressDefaultDeny)
    {
        Entries = entries;
        IngressDefaultDeny = ingressDefaultDeny;
        EgressDefaultDeny = egressDefaultDeny;
        _index = new(BuildIndex);
    }

    public ImmutableDictionary<PolicyKey, PolicyEntry> Entries { get; }

    /// <summary>The rules that turn ingress to default-deny; empty means ingress is default-allow.</summary>
    public ImmutableArray<RuleOrigin> IngressDefaultDeny { get; }

    public ImmutableArray<RuleOrigin> EgressDefaultDeny { get; }

    /// <summary>
    /// Decides a packet: four lookups, each taking the longest matching prefix; a deny from any of
    /// them wins; then an allow; else the direction's default.
    /// </summary>
    public PolicyDecision Decide(TrafficDirection direction, uint identity, byte protocol, ushort value)
    {
        var index = _index.Value;
        (PolicyKey Key, PolicyEntry Entry)? allow = null;
        for (var lookup = 0; lookup < 4; lookup++)
        {
            var id = lookup < 2 ? identity : PolicyKey.AnyIdentity;
            var proto = lookup % 2 == 0 ? protocol : IpProtocols.Any;
            if (!index.TryGetValue((direction, id, proto), out var candidates))
            {
                continue;
            }

            // Sorted longest prefix first: the first match is the longest.
            foreach (var candidate in candidates)
            {
                if (!candidate.Key.Matches(value))
                {
                    continue;
                }

                if (candidate.Entry.Verdict == Verdict.Deny)
                {
                    return new PolicyDecision(Verdict.Deny, candidate.Key, candidate.Entry, []);
                }

                allow ??= candidate;
                break;
            }
        }

        if (allow is { } found)
        {
            return new PolicyDecision(Verdict.Allow, found.Key, found.Entry, []);
        }

        var defaultDeny = direction == TrafficDirection.Ingress ? IngressDefaultDeny : EgressDefaultDeny;
        return new PolicyDecision(defaultDeny.IsEmpty ? Verdict.Allow : Verdict.Deny, null, null, defaultDeny);
    }

    private FrozenDictionary<(TrafficDirection, uint, byte), (PolicyKey Key, PolicyEntry Entry)[]> BuildIndex() =>
        Entries.GroupBy(e => (e.Key.Direction, e.Key.Identity, e.Key.Protocol))
            .ToFrozenDictionary(g => g.Key, g => g.OrderByDescending(e => e.Key.PrefixLength).Select(e => (e.Key, e.Value)).ToArray());
}
