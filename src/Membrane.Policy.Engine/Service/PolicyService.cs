using System.Collections.Immutable;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Engine.Tracing;
using Membrane.Policy.Validation;

namespace Membrane.Policy.Engine.Service;

/// <summary>
/// One node's policies and their effect: documents are validated, compiled and held by resource
/// in a <see cref="PolicyRepository"/>; the node's <see cref="IdentitySet"/> is shared by every
/// endpoint; each endpoint's <see cref="PolicyResolver"/> keeps its map state current through the
/// set's published changes and the repository's rule changes. <c>policy validate</c>, <c>trace</c>,
/// <c>resolve</c>, the tests and the agent all go through it.
/// </summary>
public sealed class PolicyService
{
    private readonly Dictionary<uint, PolicyResolver> _endpoints = [];

    public PolicyService(IdentitySet? identities = null, ValidationOptions? validation = null)
    {
        Identities = identities ?? new IdentitySet();
        Validation = validation ?? new ValidationOptions();
        Identities.Changed += OnIdentityChanged;
    }

    public IdentitySet Identities { get; }

    public ValidationOptions Validation { get; }

    public PolicyRepository Repository { get; } = new();

    public long Revision => Repository.Revision;

    public ImmutableArray<SubjectRule> Rules => Repository.Rules;

    /// <summary>The deltas identity changes have brought since the last <see cref="TakeIdentityDeltas"/>, by endpoint.</summary>
    private readonly Dictionary<uint, List<MapStateDelta>> _identityDeltas = [];

    /// <summary>
    /// Validates inputs without loading them: what <c>policy validate</c> runs. Each file is read,
    /// checked and dropped in turn (see <see cref="PolicyValidationService"/>); null when an input
    /// could not be read, with its error in <paramref name="inputs"/>.
    /// </summary>
    public static ValidationReport? Check(Membrane.Policy.Inputs.InputPlan plan, ValidationOptions options, IProgress<int>? progress, out Membrane.Policy.Inputs.InputSet inputs) =>
        PolicyValidationService.Validate(plan, options with { KeepDocuments = false }, progress, out inputs);

    /// <summary>
    /// Validates documents and, when none has an error, puts them into the repository in one
    /// change (a document replaces the one of the same kind, namespace and name). When any has an
    /// error, nothing is applied.
    /// </summary>
    /// <param name="refuse">Findings that stop the load as errors do, though they are warnings (the agent refuses
    /// what it cannot enforce unless told otherwise); null refuses only errors.</param>
    public PolicyChange Load(IReadOnlyList<PolicyText> texts, Func<Membrane.Policy.Diagnostics.FieldError, bool>? refuse = null) =>
        Commit(Stage(texts, refuse), releaseUnnamed: true);

    /// <summary>
    /// Validates and compiles documents without putting them anywhere: what <see cref="Load"/> would apply, for a caller
    /// that makes the change in steps (an agent, which must bring the kernel along at each).
    /// </summary>
    public StagedPolicies Stage(IReadOnlyList<PolicyText> texts, Func<Membrane.Policy.Diagnostics.FieldError, bool>? refuse = null)
    {
        var report = PolicyValidationService.Validate(texts, Validation with { KeepDocuments = true });
        if (!report.IsValid || (refuse is not null && report.Files.Any(f => f.AllFindings.Any(refuse))))
        {
            return new StagedPolicies(report, IsValid: false, [], []);
        }

        var resources = report.Files.SelectMany(file => file.Policies.Select(p =>
            new PolicyResource(ResourceKey.Of(p.Document, file.File), p.Document, RuleCompiler.Compile(p.Document)))).ToList();
        return new StagedPolicies(report, IsValid: true, resources, []);
    }

    /// <summary>The removal of resources, staged as <see cref="Stage"/> stages a load.</summary>
    public static StagedPolicies StageDelete(IEnumerable<ResourceKey> keys) => new(new ValidationReport([]), IsValid: true, [], [.. keys]);

    /// <summary>
    /// Changes staged one after another, as one: what making them in order would do, so that a burst of changes is made,
    /// and every endpoint regenerated, once. A later change's put replaces an earlier one's of the same key, and its
    /// removal takes the key out of what the earlier ones put; the report holds every change's files. All must be valid.
    /// </summary>
    public static StagedPolicies Combine(IReadOnlyList<StagedPolicies> changes)
    {
        if (changes.Any(c => !c.IsValid))
        {
            throw new ArgumentException("only valid changes are combined", nameof(changes));
        }

        if (changes.Count == 1)
        {
            return changes[0];
        }

        var put = new Dictionary<ResourceKey, PolicyResource>();
        var order = new List<ResourceKey>();
        var remove = new HashSet<ResourceKey>();
        foreach (var change in changes)
        {
            foreach (var key in change.Remove)
            {
                put.Remove(key);
                remove.Add(key);
            }

            foreach (var resource in change.Put)
            {
                remove.Remove(resource.Key);
                if (put.TryAdd(resource.Key, resource))
                {
                    order.Add(resource.Key);
                }
                else
                {
                    put[resource.Key] = resource;
                }
            }
        }

        return new StagedPolicies(new ValidationReport([.. changes.SelectMany(c => c.Report.Files)]), IsValid: true,
            [.. order.Where(put.ContainsKey).Select(k => put[k])], [.. remove]);
    }

    /// <summary>Whether making <paramref name="staged"/> would change the policies held (a document equal to the one held is no change).</summary>
    public bool Changes(StagedPolicies staged) => staged.IsValid && Repository.Preview(staged.Put, staged.Remove) is not null;

    /// <summary>
    /// Adds the CIDR identities of every prefix the policies will name once <paramref name="staged"/> is made, before it
    /// is made: each endpoint's resolver takes them under the rules it has now (an identity change, recorded for
    /// <see cref="TakeIdentityDeltas"/>). An agent brings the kernel to that first, so that when the new prefixes enter
    /// the ipcache, every endpoint judges them as it did the addresses inside them.
    /// </summary>
    public IReadOnlyList<Identity> AddCidrsFor(StagedPolicies staged)
    {
        if (Repository.Preview(staged.Put, staged.Remove) is not { } rules)
        {
            return [];
        }

        var added = new List<Identity>();
        foreach (var prefix in RuleCompiler.Prefixes(rules))
        {
            var before = Identities.Count;
            var identity = Identities.AddCidr(prefix);
            if (Identities.Count != before)
            {
                added.Add(identity);
            }
        }

        return added;
    }

    /// <summary>
    /// Makes a staged change. With <paramref name="releaseUnnamed"/> false, the CIDR identities no rule names any more
    /// stay until <see cref="ReleaseUnnamedCidrs"/>: an agent takes them out of the ipcache first.
    /// </summary>
    public PolicyChange Commit(StagedPolicies staged, bool releaseUnnamed = true) =>
        staged.IsValid
            ? Change(staged.Report, [.. staged.Put], [.. staged.Remove], releaseUnnamed)
            : new PolicyChange(staged.Report, Applied: false, Revision, ImmutableDictionary<uint, MapStateDelta>.Empty);

    /// <summary>Removes the CIDR identities no rule names; each resolver takes it as an identity change (recorded).</summary>
    public IReadOnlyList<Identity> ReleaseUnnamedCidrs()
    {
        var named = RuleCompiler.Prefixes(Rules).ToHashSet();
        var unnamed = Identities.All.Where(i => i.IsCidr && i.Prefix is { } prefix && !named.Contains(prefix)).ToList();
        foreach (var identity in unnamed)
        {
            Identities.Remove(identity.Id);
        }

        return unnamed;
    }

    /// <summary>
    /// Puts back what a node held before a restart: <paramref name="imports"/> are the imports that still supply a
    /// policy, in the order they were made (a later one replaced what an earlier one gave under the same key), and
    /// <paramref name="live"/> the keys that were held, so a policy deleted since is left out. The revision is the one
    /// reached before. All or nothing: when an import no longer validates (say, a newer Membrane is stricter), nothing
    /// is restored and its report is returned, so that the caller can refuse to start rather than enforce less.
    /// </summary>
    public ValidationReport? Restore(IReadOnlyList<IReadOnlyList<PolicyText>> imports, IReadOnlySet<ResourceKey> live, long revision)
    {
        var resources = new Dictionary<ResourceKey, PolicyResource>();
        foreach (var texts in imports)
        {
            var report = PolicyValidationService.Validate(texts, Validation with { KeepDocuments = true });
            if (!report.IsValid)
            {
                return report;
            }

            foreach (var file in report.Files)
            {
                foreach (var policy in file.Policies)
                {
                    var key = ResourceKey.Of(policy.Document, file.File);
                    if (live.Contains(key))
                    {
                        resources[key] = new PolicyResource(key, policy.Document, RuleCompiler.Compile(policy.Document));
                    }
                }
            }
        }

        Reinstate(resources.Values, revision);
        return null;
    }

    /// <summary>
    /// Puts back a set of policies compiled before, under its revision, in one step (CIDR identities follow the rules:
    /// those the policies name are made, the others go).
    /// </summary>
    public void Reinstate(IEnumerable<PolicyResource> resources, long revision)
    {
        Repository.Restore(resources, revision);
        AdoptRules();
    }

    /// <summary>What <see cref="Reinstate(PolicySnapshot)"/> takes the service back to: the policies, their revision, and
    /// the CIDR identities with their numbers.</summary>
    public PolicySnapshot Snapshot() => new(
        [.. Repository.Resources], Revision,
        [.. Identities.All.Where(i => i.IsCidr && i.Prefix is not null).Select(i => (i.Prefix!.Value, i.Id))]);

    /// <summary>
    /// Takes a change back whole, as if it had never been made: how an agent undoes a change the kernel could not take
    /// or the state directory could not keep. The CIDR identities come back with the numbers they had, so every map
    /// state is again the one the kernel holds, and an identity the change added goes again. Deltas of identity changes
    /// made here are not recorded: they only undo what the change did.
    /// </summary>
    public void Reinstate(PolicySnapshot snapshot)
    {
        _changing = true;
        try
        {
            Repository.Restore(snapshot.Resources, snapshot.Revision);
            foreach (var resolver in _endpoints.Values)
            {
                resolver.SetRules(Rules);
            }

            var wanted = snapshot.Cidrs.ToDictionary(c => c.Id, c => c.Prefix);
            foreach (var stale in Identities.All.Where(i => i.IsCidr && (!wanted.TryGetValue(i.Id, out var prefix) || i.Prefix != prefix)).ToList())
            {
                Identities.Remove(stale.Id);
            }

            foreach (var (prefix, id) in snapshot.Cidrs.Where(c => Identities[c.Id] is null))
            {
                Identities.AddCidr(prefix, id);
            }
        }
        finally
        {
            _changing = false;
        }
    }

    /// <summary>Removes resources in one change.</summary>
    public PolicyChange Delete(IEnumerable<ResourceKey> keys) => Commit(StageDelete(keys));

    /// <summary>The resolver of an endpoint, made on first use and kept current from then on.</summary>
    public PolicyResolver Endpoint(Identity endpoint)
    {
        if (!_endpoints.TryGetValue(endpoint.Id, out var resolver))
        {
            resolver = new PolicyResolver(Rules, Identities, endpoint);
            _endpoints[endpoint.Id] = resolver;
        }

        return resolver;
    }

    /// <summary>The map state of an endpoint under the current policies and identities.</summary>
    public EndpointMapState Resolve(Identity endpoint) => Endpoint(endpoint).State;

    /// <summary>Traces a packet; each side sees the other as <paramref name="sourceSeen"/> and <paramref name="destinationSeen"/>.</summary>
    public TraceResult Trace(Identity source, Identity destination, L4Spec l4, Identity? sourceSeen = null, Identity? destinationSeen = null) =>
        PolicyTracer.Trace(Rules, source, destination, l4, sourceSeen ?? source, destinationSeen ?? destination);

    /// <summary>The deltas the identity changes since the last call brought to each endpoint, and forgets them.</summary>
    public ImmutableDictionary<uint, ImmutableArray<MapStateDelta>> TakeIdentityDeltas()
    {
        var taken = _identityDeltas.ToImmutableDictionary(kv => kv.Key, kv => kv.Value.ToImmutableArray());
        _identityDeltas.Clear();
        return taken;
    }

    private PolicyChange Change(ValidationReport report, List<PolicyResource> put, List<ResourceKey> remove, bool releaseUnnamed)
    {
        var before = _endpoints.ToDictionary(kv => kv.Key, kv => kv.Value.State);
        if (!Repository.Apply(put, remove))
        {
            return new PolicyChange(report, Applied: true, Revision, ImmutableDictionary<uint, MapStateDelta>.Empty);
        }

        AdoptRules(releaseUnnamed);
        var changed = ImmutableDictionary.CreateBuilder<uint, MapStateDelta>();
        foreach (var (id, resolver) in _endpoints)
        {
            var delta = MapStateDelta.Between(before[id], resolver.State);
            if (!delta.IsEmpty)
            {
                changed[id] = delta;
            }
        }

        return new PolicyChange(report, Applied: true, Revision, changed.ToImmutable());
    }

    /// <summary>
    /// Gives every endpoint's resolver the repository's rules, and the prefixes they name their identities; a CIDR
    /// identity no rule names any more goes, so that nothing the policies no longer need (its ipcache entry, its map
    /// entries) is kept for it.
    /// </summary>
    private void AdoptRules(bool releaseUnnamed = true)
    {
        _changing = true;
        try
        {
            foreach (var resolver in _endpoints.Values)
            {
                resolver.SetRules(Rules);
            }

            // A prefix a policy names is an identity of the node (its CIDR identity); each
            // resolver takes it as an identity change, under the new rules.
            var named = RuleCompiler.Prefixes(Rules).ToHashSet();
            foreach (var prefix in named)
            {
                Identities.AddCidr(prefix);
            }

            foreach (var unnamed in Identities.All.Where(i => releaseUnnamed && i.IsCidr && i.Prefix is { } prefix && !named.Contains(prefix)).ToList())
            {
                Identities.Remove(unnamed.Id);
            }
        }
        finally
        {
            _changing = false;
        }
    }

    // While a change is applied, identity deltas are part of the change's own delta.
    private bool _changing;

    private void OnIdentityChanged(IdentityChange change)
    {
        foreach (var (id, resolver) in _endpoints)
        {
            var delta = resolver.Apply(change);
            if (!delta.IsEmpty && !_changing)
            {
                (_identityDeltas.TryGetValue(id, out var list) ? list : _identityDeltas[id] = []).Add(delta);
            }
        }
    }
}
