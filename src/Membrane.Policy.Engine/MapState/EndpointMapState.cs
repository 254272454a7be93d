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
    /// Decides a packet as the datapath does: two longest-prefix lookups, one with the peer's identity and one with
    /// "any identity", each over (protocol, value) with "any protocol" the shortest prefix; a deny from either wins;
    /// then an allow; else the direction's default. The resolver stores an allow that lies inside a deny's prefix of
    /// the same identity (same protocol or any protocol) as that deny, which is what makes one longest match per
    /// identity enough.
    /// </summary>
    public PolicyDecision Decide(TrafficDirection direction, uint identity, byte protocol, ushort value)
    {
        (PolicyKey Key, PolicyEntry Entry)? allow = null;
        foreach (var id in (ReadOnlySpan<uint>)[identity, PolicyKey.AnyIdentity])
        {
            if (LongestMatch(direction, id, protocol, value) is not { } match)
            {
                continue;
            }

            if (match.Entry.Verdict == Verdict.Deny)
            {
                return new PolicyDecision(Verdict.Deny, match.Key, match.Entry, []);
            }

            allow ??= match;
        }

        if (allow is { } found)
        {
            return new PolicyDecision(Verdict.Allow, found.Key, found.Entry, []);
        }

        var defaultDeny = direction == TrafficDirection.Ingress ? IngressDefaultDeny : EgressDefaultDeny;
        return new PolicyDecision(defaultDeny.IsEmpty ? Verdict.Allow : Verdict.Deny, null, null, defaultDeny);
    }

    /// <summary>The longest entry of one identity that contains the packet: the protocol's own entries first (they
    /// are longer prefixes of the datapath's key), then the any-protocol entry.</summary>
    private (PolicyKey Key, PolicyEntry Entry)? LongestMatch(TrafficDirection direction, uint identity, byte protocol, ushort value)
    {
        var index = _index.Value;
        foreach (var proto in (ReadOnlySpan<byte>)[protocol, IpProtocols.Any])
        {
            if (!index.TryGetValue((direction, identity, proto), out var candidates))
            {
                continue;
            }

            // Sorted longest prefix first: the first match is the longest.
            foreach (var candidate in candidates)
            {
                if (candidate.Key.Matches(value))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    private FrozenDictionary<(TrafficDirection, uint, byte), (PolicyKey Key, PolicyEntry Entry)[]> BuildIndex() =>
        Entries.GroupBy(e => (e.Key.Direction, e.Key.Identity, e.Key.Protocol))
            .ToFrozenDictionary(g => g.Key, g => g.OrderByDescending(e => e.Key.PrefixLength).Select(e => (e.Key, e.Value)).ToArray());
}
