using System.Collections.Immutable;
using System.Runtime.InteropServices;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Icmp;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Engine.Selection;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.MapState;

/// <summary>
/// Resolves rules and identities into one endpoint's <see cref="EndpointMapState"/>, and keeps it
/// current: adding or removing an identity changes only that identity's keys, so its delta is
/// computed from the rules alone; a change of rules recomputes the state and diffs it.
/// </summary>
public sealed class PolicyResolver
{
    private readonly IdentitySet _identities;
    private ImmutableArray<SubjectRule> _rules;
    private ImmutableArray<CompiledPeerRule> _selecting = [];

    // Whether a rule of this endpoint's selects peers by address (a Kubernetes ipBlock), so that an identity's new
    // addresses may change the state.
    private bool _selectsByAddress;

    // Which keys each identity has, so removing one does not scan the whole state.
    private Dictionary<uint, List<PolicyKey>> _keysByIdentity = [];

    public PolicyResolver(IEnumerable<SubjectRule> rules, IdentitySet identities, Identity endpoint)
    {
        _identities = identities;
        Endpoint = endpoint;
        _rules = [.. rules];
        State = Compute();
    }

    public Identity Endpoint { get; }

    public EndpointMapState State { get; private set; }

    /// <summary>
    /// Applies a change the identity set published: the entries an added identity brings, or the
    /// keys a removed one takes away. Only that identity's keys change. The resolver reads the set;
    /// it never changes it.
    /// </summary>
    public MapStateDelta Apply(IdentityChange change)
    {
        if (change.Previous is not null)
        {
            // Only a Kubernetes ipBlock selects by address: without one among this endpoint's rules, new addresses
            // change nothing here, and the identity's entries are not made again (an endpoint made under a thousand
            // rules would otherwise re-resolve its identity in every peer's state).
            if (!_selectsByAddress)
            {
                return MapStateDelta.Empty;
            }

            // New addresses: the entries for the identity are made again, and only what differs is the delta (a
            // changed entry is removed and added, as in MapStateDelta.Between).
            var previous = _keysByIdentity.TryGetValue(change.Previous.Id, out var keys) ? keys.ToDictionary(k => k, k => State.Entries[k]) : [];
            Removed(change.Previous.Id);
            var now = Added(change.Identity).Added;
            return new MapStateDelta(
                now.Where(e => !previous.TryGetValue(e.Key, out var old) || !old.Equals(e.Value)).ToImmutableDictionary(),
                [.. previous.Keys.Where(k => !now.TryGetValue(k, out var entry) || !entry.Equals(previous[k]))]);
        }

        return change.Added ? Added(change.Identity) : Removed(change.Identity.Id);
    }

    private MapStateDelta Added(Identity identity)
    {
        var pending = new Dictionary<PolicyKey, Pending>();
        foreach (var rule in _selecting)
        {
            if (rule.Peers.Any(p => !p.IsWildcard && p.Matches(identity)))
            {
                AddEntries(pending, Endpoint, rule, identity.Id, identity);
            }
            else if (NamesPeersPorts(rule))
            {
                AddPeerNamedPorts(pending, Endpoint, rule, identity);
            }
        }

        ResolveDenyPrecedence(pending);
        var added = Freeze(pending);
        _keysByIdentity[identity.Id] = [.. added.Keys];
        State = new EndpointMapState(State.Entries.SetItems(added), State.IngressDefaultDeny, State.EgressDefaultDeny);
        return new MapStateDelta(added, []);
    }

    private MapStateDelta Removed(uint id)
    {
        var removed = _keysByIdentity.Remove(id, out var keys) ? [.. keys] : ImmutableArray<PolicyKey>.Empty;
        State = new EndpointMapState(State.Entries.RemoveRange(removed), State.IngressDefaultDeny, State.EgressDefaultDeny);
        return new MapStateDelta(ImmutableDictionary<PolicyKey, PolicyEntry>.Empty, removed);
    }

    /// <summary>Replaces the rules (a policy added, changed or removed) and returns the difference.</summary>
    public MapStateDelta SetRules(IEnumerable<SubjectRule> rules)
    {
        var before = State;
        _rules = [.. rules];
        State = Compute();
        return MapStateDelta.Between(before, State);
    }

    /// <summary>
    /// The part of an endpoint's map state that decides traffic in one direction with one peer:
    /// the entries for that peer's identity and for any peer (identity 0), which are the only ones
    /// <see cref="EndpointMapState.Decide"/> looks at. Its decisions for that peer are those of the
    /// full state (deny precedence works within one identity's keys), at a cost proportional to the
    /// rules, not to identities × rules: trace needs one decision per side, not 100,000 peers' keys.
    /// </summary>
    public static EndpointMapState ResolveFor(IEnumerable<SubjectRule> rules, Identity endpoint, TrafficDirection direction, Identity peer)
    {
        var selecting = rules.Where(r => r.Subject.Matches(endpoint.Labels)).ToList();
        var pending = new Dictionary<PolicyKey, Pending>();
        foreach (var rule in selecting.SelectMany(r => r.Rules).Where(r => r.Direction == direction))
        {
            var matchesPeer = false;
            foreach (var selector in rule.Peers)
            {
                if (selector.IsWildcard)
                {
                    AddEntries(pending, endpoint, rule, PolicyKey.AnyIdentity, peer: null);
                }
                else
                {
                    matchesPeer |= selector.Matches(peer);
                }
            }

            if (matchesPeer)
            {
                AddEntries(pending, endpoint, rule, peer.Id, peer);
            }
            else if (NamesPeersPorts(rule))
            {
                AddPeerNamedPorts(pending, endpoint, rule, peer);
            }
        }

        ResolveDenyPrecedence(pending);
        return new EndpointMapState(Freeze(pending), DefaultDeny(selecting, ingress: true), DefaultDeny(selecting, ingress: false));
    }

    private static ImmutableArray<RuleOrigin> DefaultDeny(List<SubjectRule> selecting, bool ingress) =>
        [.. selecting.Where(r => ingress ? r.DefaultDenyIngress : r.DefaultDenyEgress).Select(r => r.Origin)];

    private EndpointMapState Compute()
    {
        var selecting = _rules.Where(r => r.Subject.Matches(Endpoint.Labels)).ToList();
        _selecting = [.. selecting.SelectMany(r => r.Rules)];
        _selectsByAddress = _selecting.Any(r => r.Peers.Any(p => p is CidrPeer { SelectsEndpoints: true }));
        var ingressDefaultDeny = DefaultDeny(selecting, ingress: true);
        var egressDefaultDeny = DefaultDeny(selecting, ingress: false);

        var index = new LabelIndex(_identities.All);
        var matchCache = new Dictionary<string, List<Identity>>();
        var pending = new Dictionary<PolicyKey, Pending>();
        foreach (var rule in _selecting)
        {
            // One identity may match several peers of a rule; its entries are added once.
            var matched = new HashSet<Identity>();
            foreach (var peer in rule.Peers)
            {
                if (peer.IsWildcard)
                {
                    AddEntries(pending, Endpoint, rule, PolicyKey.AnyIdentity, peer: null);
                    continue;
                }

                // Rules share peers (the same selector, the same entity), so match each peer once.
                var key = peer.ToString()!;
                if (!matchCache.TryGetValue(key, out var peerIdentities))
                {
                    peerIdentities = index.Select(peer);
                    matchCache[key] = peerIdentities;
                }

                matched.UnionWith(peerIdentities);
            }

            foreach (var identity in matched)
            {
                AddEntries(pending, Endpoint, rule, identity.Id, identity);
            }

            if (NamesPeersPorts(rule))
            {
                foreach (var identity in _identities.All.Where(i => i.NamedPorts.Count > 0 && !matched.Contains(i)))
                {
                    AddPeerNamedPorts(pending, Endpoint, rule, identity);
                }
            }
        }

        ResolveDenyPrecedence(pending);
        _keysByIdentity = pending.Keys.GroupBy(k => k.Identity).ToDictionary(g => g.Key, g => g.ToList());
        return new EndpointMapState(Freeze(pending), ingressDefaultDeny, egressDefaultDeny);
    }

    /// <summary>
    /// Whether a rule sends traffic to every peer by a port name: egress to any destination on <c>port: http</c>. No
    /// single entry for "any peer" can say that, since the name means another number on each peer (and nothing on a
    /// peer that does not name it, such as the world), so the rule gives each peer that names the port its own entries.
    /// </summary>
    private static bool NamesPeersPorts(CompiledPeerRule rule) =>
        rule.Direction == TrafficDirection.Egress && rule.Peers.Any(p => p.IsWildcard) && rule.L4.Any(l => l is NamedPortMatch);

    /// <summary>The entries a rule of <see cref="NamesPeersPorts"/> gives one peer: its named ports, keyed by its identity.</summary>
    private static void AddPeerNamedPorts(Dictionary<PolicyKey, Pending> entries, Identity endpoint, CompiledPeerRule rule, Identity peer)
    {
        if (peer.NamedPorts.Count > 0)
        {
            AddEntries(entries, endpoint, rule with { L4 = [.. rule.L4.Where(l => l is NamedPortMatch)] }, peer.Id, peer);
        }
    }

    /// <summary>The keys one rule gives one peer (or every peer, with identity 0).</summary>
    private static void AddEntries(Dictionary<PolicyKey, Pending> entries, Identity endpoint, CompiledPeerRule rule, uint identity, Identity? peer)
    {
        foreach (var l4 in rule.L4)
        {
            switch (l4)
            {
                case AllTraffic:
                    Add(entries, new PolicyKey(rule.Direction, identity, IpProtocols.Any, 0, 0), rule);
                    break;
                case PortRange range:
                    AddRange(entries, rule, identity, range.Protocol, range.Low, range.High);
                    break;
                case NamedPortMatch named:
                    // A named port belongs to the endpoint traffic goes to: this endpoint on
                    // ingress, the peer on egress. Unknown there, it allows nothing.
                    var owner = rule.Direction == TrafficDirection.Ingress ? endpoint : peer;
                    if (owner?.NamedPorts.TryGetValue(named.Name, out var port) == true)
                    {
                        foreach (var protocol in IpProtocols.Of(port.Protocol).Where(named.Protocols.Contains))
                        {
                            AddRange(entries, rule, identity, protocol, port.Port, port.Port);
                        }
                    }

                    break;
                case IcmpL4Match icmp:
                    var type = icmp.Icmp.Type;
                    if (icmp.Icmp.AllCodes)
                    {
                        Add(entries, new PolicyKey(rule.Direction, identity, icmp.Protocol, IcmpKeyValue.OfType(type), IcmpKeyValue.TypePrefixLength), rule);
                    }
                    else
                    {
                        foreach (var codes in icmp.Icmp.Codes)
                        {
                            AddRange(entries, rule, identity, icmp.Protocol, IcmpKeyValue.Of(type, codes.Low), IcmpKeyValue.Of(type, codes.High));
                        }
                    }

                    break;
            }
        }
    }

    private static void AddRange(Dictionary<PolicyKey, Pending> entries, CompiledPeerRule rule, uint identity, byte protocol, int low, int high)
    {
        foreach (var (value, length) in PrefixRanges.Split(low, high))
        {
            Add(entries, new PolicyKey(rule.Direction, identity, protocol, value, length), rule);
        }
    }

    /// <summary>Merges a rule into a key: deny beats allow; equal verdicts collect their origins.</summary>
    private static void Add(Dictionary<PolicyKey, Pending> entries, PolicyKey key, CompiledPeerRule rule)
    {
        ref var existing = ref CollectionsMarshal.GetValueRefOrAddDefault(entries, key, out var exists);
        if (!exists || (rule.Verdict == Verdict.Deny && existing.Verdict == Verdict.Allow))
        {
            existing = new Pending(rule.Verdict, rule.Origin);
        }
        else if (existing.Verdict == rule.Verdict)
        {
            existing.Add(rule.Origin);
        }
    }

    /// <summary>The entries collected, with their origins frozen in the order the rules came.</summary>
    private static ImmutableDictionary<PolicyKey, PolicyEntry> Freeze(Dictionary<PolicyKey, Pending> pending)
    {
        var entries = ImmutableDictionary.CreateBuilder<PolicyKey, PolicyEntry>();
        foreach (var (key, value) in pending)
        {
            entries.Add(key, value.ToEntry());
        }

        return entries.ToImmutable();
    }

    /// <summary>
    /// Deny wins whatever its specificity. A longest-prefix lookup would let an allow for port 80
    /// hide a deny for all ports of the same peer and protocol, or a deny of every protocol (the
    /// datapath's key puts the protocol before the value, so "any protocol" is a shorter prefix of
    /// the same key), so such an allow is stored as the deny that contains it: the longest deny
    /// prefix that covers it, found by looking the allow's value up at each shorter length (at most
    /// 17 lookups), then the peer's any-protocol deny, rather than by scanning the denies, which
    /// would be quadratic in rules that deny and allow many ports of one peer.
    /// </summary>
    private static void ResolveDenyPrecedence(Dictionary<PolicyKey, Pending> entries)
    {
        var denies = new Dictionary<(TrafficDirection, uint, byte, byte, int), Pending>();
        foreach (var (key, entry) in entries)
        {
            if (entry.Verdict == Verdict.Deny)
            {
                denies[(key.Direction, key.Identity, key.Protocol, key.PrefixLength, Masked(key.Value, key.PrefixLength))] = entry;
            }
        }

        if (denies.Count == 0)
        {
            return;
        }

        foreach (var (key, entry) in entries.Where(e => e.Value.Verdict == Verdict.Allow).ToList())
        {
            var covered = false;
            for (var length = (int)key.PrefixLength; length >= 0 && !covered; length--)
            {
                if (denies.TryGetValue((key.Direction, key.Identity, key.Protocol, (byte)length, Masked(key.Value, length)), out var deny))
                {
                    entries[key] = deny;
                    covered = true;
                }
            }

            if (!covered && key.Protocol != IpProtocols.Any &&
                denies.TryGetValue((key.Direction, key.Identity, IpProtocols.Any, 0, 0), out var anyProtocolDeny))
            {
                entries[key] = anyProtocolDeny;
            }
        }
    }

    private static int Masked(ushort value, int prefixLength) => prefixLength == 0 ? 0 : value & (0xFFFF << (16 - prefixLength)) & 0xFFFF;

    /// <summary>
    /// A key's verdict and origins while rules are merged into it. Many rules can allow the same
    /// key (one port from every peer); a list with a set beside it keeps that linear, where an
    /// immutable array copied per rule would be quadratic. Most keys have one origin and need
    /// neither; a struct, so that 200,000 keys are not 200,000 more objects.
    /// </summary>
    private struct Pending(Verdict verdict, RuleOrigin first)
    {
        private List<RuleOrigin>? _more;
        private HashSet<RuleOrigin>? _seen;

        public readonly Verdict Verdict => verdict;

        public readonly PolicyEntry ToEntry() => new(Verdict, _more is null ? [first] : [first, .. _more]);

        public void Add(RuleOrigin origin)
        {
            if (origin == first)
            {
                return;
            }

            _more ??= [];
            if (_seen is null && _more.Count < 8)
            {
                if (!_more.Contains(origin))
                {
                    _more.Add(origin);
                }

                return;
            }

            _seen ??= [first, .. _more];
            if (_seen.Add(origin))
            {
                _more.Add(origin);
            }
        }
    }
}
