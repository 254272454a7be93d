using System.Collections.Immutable;
using Membrane.Agent.Addressing;
using Membrane.Agent.Endpoints;
using Membrane.Agent.State;
using Membrane.Datapath.Ebpf.Attachment;
using Membrane.Datapath.Ebpf.Loading;
using Membrane.Datapath.Encoding;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Writing;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Engine.Service;
using Membrane.Policy.Validation;

namespace Membrane.Agent.Node;

/// <summary>
/// One node's enforcement, as a library: endpoints (network, identity, ipcache entries, policy buffers, attached
/// programs) and policies (through the policy service), kept in step. A policy imported or deleted regenerates every
/// endpoint, and an endpoint created or deleted (a peer identity coming or going) those whose state it changed, each
/// through its double-buffered writer, so each endpoint moves from one whole state to the next. Calls are serialised: two at once never interleave their map writes, nor their state files.
/// With a state directory, every endpoint and the policies are written there (atomically) before a change is
/// reported done, and a new agent takes them back (NodeAgent.Restore.cs); without one, disposing the agent removes
/// its endpoints.
/// </summary>
public sealed partial class NodeAgent : IDisposable
{
    private const string EndpointsKind = "endpoints";
    private const string PoliciesKind = "policies";
    private const string RepositoryName = "repository";

    private readonly Lock _lock = new();
    private readonly NodeAgentOptions _options;
    private readonly EndpointNetworkBuilder _networks;
    private readonly PolicyCookieTable _cookies = new();
    private readonly Dictionary<string, Managed> _endpoints = new(StringComparer.Ordinal);
    private readonly StateStore? _state;
    private readonly IDisposable? _stateLock;
    private readonly HashSet<uint> _cidrsInIpcache = [];
    private List<StoredImport> _imports = [];
    private uint _nextEndpointId = 1;

    /// <summary>
    /// Starts the node's enforcement: the datapath pinned under <see cref="NodeAgentOptions.PinRoot"/> is taken back
    /// if there is one (its maps hold what the kernel enforces now), else loaded and pinned; then, with a state
    /// directory, endpoints and policies are restored (see <see cref="Restored"/>). Throws
    /// <see cref="AgentStateException"/> when the state cannot be taken back without enforcing less, or when another
    /// agent holds the state directory.
    /// </summary>
    public NodeAgent(NodeAgentOptions options)
    {
        _options = options;
        _networks = new EndpointNetworkBuilder(options.Node, options.NodeName, new AddressPool(options.IPv4Pool), new AddressPool(options.IPv6Pool));
        _state = options.StateDirectory is { } directory ? new StateStore(directory) : null;
        _stateLock = _state?.Lock();
        try
        {
            _networks.EnableForwarding();
            Datapath = OpenDatapath(options, out var reopened);
            try
            {
                PolicyTarget = new KernelPolicyMapTarget(Datapath);
                Restored = _state is null ? RestoreReport.None : Restore(_state);
            }
            catch
            {
                // What was attached stays (it enforces what it was given); a datapath this start loaded is not left
                // pinned, or the next start would take it for the one the links run and adopt them unchecked.
                ReleaseAll();
                if (!reopened && options.PinRoot is not null)
                {
                    Datapath.Unpin();
                }

                Datapath.Dispose();
                throw;
            }
        }
        catch
        {
            _stateLock?.Dispose();
            throw;
        }
    }

    /// <summary>What was taken back from the state directory at start.</summary>
    public RestoreReport Restored { get; }

    public PolicyService Policies { get; } = new();

    /// <summary>Raised after every regeneration with how long it took (the metrics observe it).</summary>
    public event Action<TimeSpan>? Regenerated;

    public LoadedDatapath Datapath { get; }

    public KernelPolicyMapTarget PolicyTarget { get; }

    /// <summary>How each endpoint's programs are attached (tcx, or tc clsact on kernels without it).</summary>
    public AttachMode? AttachMode { get; private set; }

    public IReadOnlyList<EndpointRecord> Endpoints
    {
        get
        {
            lock (_lock)
            {
                return [.. _endpoints.Values.Select(e => e.Record).OrderBy(r => r.Name, StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>
    /// What the kernel holds for an endpoint now: the entries of its live policy buffer, decoded, with the rules
    /// behind each; null when there is no such endpoint.
    /// </summary>
    public IReadOnlyList<(Membrane.Datapath.Encoding.PolicyMapRow Row, ImmutableArray<Membrane.Policy.Engine.Rules.RuleOrigin> Rules)>? LivePolicy(string name)
    {
        lock (_lock)
        {
            if (!_endpoints.TryGetValue(name, out var managed) ||
                !Datapath.Endpoints.TryLookup((uint)managed.Record.Network.HostIndex, out EndpointConfig config))
            {
                return null;
            }

            return [.. Datapath.Policy.Entries<PolicyMapKey, PolicyMapValue>()
                .Where(e => e.Key.PolicyId == config.PolicyId)
                .Select(e => (Membrane.Datapath.Encoding.PolicyMapDecoder.Decode(e.Key, e.Value), _cookies.OriginsOf(e.Value.Cookie)))
                .OrderBy(e => e.Item1.Direction, StringComparer.Ordinal).ThenBy(e => e.Item1.Identity).ThenBy(e => e.Item1.Protocol, StringComparer.Ordinal)
                .ThenBy(e => e.Item1.Covers, StringComparer.Ordinal)];
        }
    }

    /// <summary>The conntrack entries now, decoded, with the name of the endpoint each belongs to.</summary>
    public IReadOnlyList<(string? Endpoint, Membrane.Datapath.Encoding.ConntrackRow Row)> LiveConntrack()
    {
        var now = (ulong)System.Diagnostics.Stopwatch.GetTimestamp(); // CLOCK_MONOTONIC on Linux, as bpf_ktime_get_ns
        lock (_lock)
        {
            var names = _endpoints.Values.ToDictionary(e => e.Record.EndpointId, e => e.Record.Name);
            return [.. Datapath.Conntrack.Entries<ConntrackKey, ConntrackEntry>()
                .Select(e => (names.GetValueOrDefault(e.Key.EndpointId), Membrane.Datapath.Encoding.ConntrackDecoder.Decode(e.Key, e.Value, now)))];
        }
    }

    /// <summary>
    /// Removes the conntrack and fragment entries whose lifetime has passed. The datapath already treats them as
    /// absent (docs/datapath.md §4), so this only gives their slots back before the LRU would; returns how many went.
    /// </summary>
    /// <param name="now">CLOCK_MONOTONIC nanoseconds, the clock of bpf_ktime_get_ns; now by default.</param>
    public int CollectGarbage(ulong? now = null)
    {
        var at = now ?? (ulong)System.Diagnostics.Stopwatch.GetTimestamp();
        var removed = 0;
        foreach (var (key, entry) in Datapath.Conntrack.Entries<ConntrackKey, ConntrackEntry>().Where(e => e.Value.ExpiresAt <= at).ToList())
        {
            removed += Datapath.Conntrack.Delete(key) ? 1 : 0;
        }

        foreach (var (key, entry) in Datapath.Fragments.Entries<FragmentKey, FragmentEntry>().Where(e => e.Value.ExpiresAt <= at).ToList())
        {
            removed += Datapath.Fragments.Delete(key) ? 1 : 0;
        }

        return removed;
    }

    /// <summary>The endpoint with a datapath endpoint number (the one events carry), or null.</summary>
    public EndpointRecord? EndpointById(uint endpointId)
    {
        lock (_lock)
        {
            return _endpoints.Values.FirstOrDefault(e => e.Record.EndpointId == endpointId)?.Record;
        }
    }

    /// <summary>An endpoint with this identity (endpoints with the same labels share one), or null.</summary>
    public EndpointRecord? EndpointByIdentity(uint identity)
    {
        lock (_lock)
        {
            return _endpoints.Values.FirstOrDefault(e => e.Record.Identity == identity)?.Record;
        }
    }

    /// <summary>
    /// The labels of any identity the node knows (empty for one it does not), read under the agent's lock: the monitor
    /// and the API ask from their own threads while a call may be adding or removing identities.
    /// </summary>
    public IReadOnlyList<string> LabelsOf(uint identity)
    {
        lock (_lock)
        {
            return [.. Policies.Identities[identity]?.Labels.Labels.Select(l => l.ToString()) ?? []];
        }
    }

    public EndpointRecord? Endpoint(string name)
    {
        lock (_lock)
        {
            return _endpoints.GetValueOrDefault(name)?.Record;
        }
    }

    /// <summary>
    /// Traces a packet against the live policies and identities, without changing them: a side named by labels is the
    /// one endpoint identity that has them all (a label without a source matches any source), and a side named by an
    /// address is what the ipcache gives for it. Labels that match no identity, or several, are an
    /// <see cref="ArgumentException"/> saying which.
    /// </summary>
    public Membrane.Policy.Engine.Tracing.TraceResult Trace(Membrane.Policy.Engine.Tracing.TraceQuery query)
    {
        lock (_lock)
        {
            var notes = new List<string>();
            var (source, sourceSeen) = Side(query.SourceLabels, query.SourceAddress, "--src", notes);
            var (destination, destinationSeen) = Side(query.DestinationLabels, query.DestinationAddress, "--dst", notes);
            return Policies.Trace(source, destination, query.L4, sourceSeen, destinationSeen) with
            {
                SourceAddress = query.SourceAddress,
                DestinationAddress = query.DestinationAddress,
                Notes = notes,
            };
        }
    }

    private (Identity Endpoint, Identity Seen) Side(LabelSet? labels, System.Net.IPAddress? address, string option, List<string> notes)
    {
        var seen = address is null ? null : Policies.Identities.Lookup(address);
        if (labels is null)
        {
            return (seen!, seen!);
        }

        var matches = Policies.Identities.All.Where(i => i.IsEndpoint &&
            labels.Labels.All(wanted => i.Labels.TryGetValue(wanted.Source, wanted.Key, out var value) && value == wanted.Value)).ToList();
        if (matches.Count != 1)
        {
            throw new ArgumentException(matches.Count == 0
                ? $"{option}: no endpoint on this node has the labels {labels}"
                : $"{option}: {matches.Count} identities have the labels {labels}: {string.Join("; ", matches.Select(m => $"{m.Id} ({m.Labels})"))}; give more labels");
        }

        var endpoint = matches[0];
        if (seen is not null && seen.Id != endpoint.Id)
        {
            notes.Add($"{option}-ip {address} is identity {seen.Id} ({seen.Labels}) on this node, not the {option} endpoint (identity {endpoint.Id}): " +
                $"the {option} endpoint's own policy is traced, and the other side sees identity {seen.Id}");
        }

        return (endpoint, seen ?? endpoint);
    }

    /// <summary>
    /// Creates an endpoint: its network, its identity from its labels and Kubernetes namespace, its addresses in the
    /// ipcache, its policy, and the programs on its host-side veth. A failure part way undoes all of it. With a state
    /// directory the endpoint's file says <see cref="EndpointLifecycle.Creating"/> before anything is made, so that a
    /// crash part way is swept up on restart, and <see cref="EndpointLifecycle.Ready"/> before this returns.
    /// </summary>
    public EndpointRecord CreateEndpoint(string name, LabelSet labels, string kubernetesNamespace = "default", string? adoptNamespace = null)
    {
        EndpointName.Check(name);
        lock (_lock)
        {
            if (_endpoints.ContainsKey(name))
            {
                throw new ArgumentException($"endpoint {name} exists already");
            }

            // The namespace is the endpoint's own and is deleted with it, so one that exists already is not taken over.
            if (adoptNamespace is null && Membrane.Netlink.Namespaces.NetworkNamespace.Exists(name))
            {
                throw new ArgumentException($"a network namespace named {name} exists already; adopt it with --netns {name}, or choose another name");
            }

            var withNamespace = new LabelSet([.. labels.Labels.Where(l => l.Key != Label.NamespaceKey),
                new Label(Label.SourceKubernetes, Label.NamespaceKey, kubernetesNamespace)]);
            var endpointId = _nextEndpointId++;
            var undo = new Stack<Action>();
            try
            {
                var creating = new EndpointState(name, kubernetesNamespace, [.. withNamespace.Labels.Select(l => l.ToString())], endpointId, 0,
                    EndpointLifecycle.Creating, adoptNamespace, null, null);
                SaveEndpoint(creating);
                undo.Push(() => _state?.Delete(EndpointsKind, name));

                var network = _networks.Create(name, adoptNamespace);
                undo.Push(() => _networks.Delete(network));
                var addresses = new[] { network.IPv4, network.IPv6 };
                var existing = Policies.Identities.Find(withNamespace);
                var identity = existing is null
                    ? Policies.Identities.AddEndpoint(withNamespace, addresses: addresses)
                    : Policies.Identities.AddAddresses(existing.Id, addresses);
                undo.Push(() => ReleaseIdentity(identity.Id, addresses));

                // Now the network and the identity are known: a crash from here on is swept up by what the file says
                // was made. (Before this, a sweep removes no namespace: it cannot tell one made here from another's.)
                SaveEndpoint(creating with { Identity = identity.Id, Network = StoredNetwork.Of(network) });
                foreach (var address in addresses)
                {
                    var key = IpcacheKey.Host(address);
                    Datapath.Ipcache.Update(key, new IpcacheValue { Identity = identity.Id });
                    undo.Push(() => Datapath.Ipcache.Delete(key));
                }

                var writer = new PolicyBufferWriter((uint)network.HostIndex, new EndpointConfig { EndpointId = endpointId, Identity = identity.Id }.WithAddresses(network.IPv4, network.IPv6), _cookies);
                writer.Apply(Policies.Resolve(identity), PolicyTarget);
                undo.Push(() => Remove(writer));

                var attachments = new List<ProgramAttachment>();
                undo.Push(() => attachments.ForEach(a => a.Dispose()));
                var target = new AttachTarget(network.HostInterface, _options.Node);
                attachments.Add(Attach(Datapath.FromEndpoint, target, AttachDirection.Ingress, name));
                attachments.Add(Attach(Datapath.ToEndpoint, target, AttachDirection.Egress, name));
                AttachMode = attachments[0].Mode;

                var record = new EndpointRecord(name, kubernetesNamespace, creating.Labels, endpointId, identity.Id, network);
                SaveEndpoint(StateOf(record, EndpointLifecycle.Ready, attachments[0].Mode));
                _endpoints[name] = new Managed(record, writer, attachments);
                Regenerate(onlyWherePeersChanged: true);
                return record;
            }
            catch
            {
                _endpoints.Remove(name);
                while (undo.TryPop(out var step))
                {
                    step();
                }

                throw;
            }
        }
    }

    /// <summary>Deletes an endpoint and everything its creation made; false when there is none of that name.</summary>
    public bool DeleteEndpoint(string name)
    {
        lock (_lock)
        {
            if (!_endpoints.TryGetValue(name, out var managed))
            {
                return false;
            }

            // Marked first: an agent killed part way through finishes the delete when it starts again.
            SaveEndpoint(StateOf(managed.Record, EndpointLifecycle.Deleting, managed.Attachments[0].Mode));
            _endpoints.Remove(name);

            // Programs off first, then the endpoint's maps (packets of a vanishing interface fail closed meanwhile).
            managed.Attachments.ForEach(a => a.Dispose());
            Remove(managed.Writer);
            var network = managed.Record.Network;
            foreach (var address in new[] { network.IPv4, network.IPv6 })
            {
                Datapath.Ipcache.Delete(IpcacheKey.Host(address));
            }

            ReleaseIdentity(managed.Record.Identity, [network.IPv4, network.IPv6]);
            _networks.Delete(network);
            _state?.Delete(EndpointsKind, name);
            Regenerate(onlyWherePeersChanged: true);
            return true;
        }
    }

    /// <summary>
    /// Validates and applies policies; nothing is applied when anything is invalid, nor, unless
    /// <paramref name="allowL4Only"/>, when a rule needs what Membrane cannot enforce (L7, FQDN, services, groups,
    /// authentication, host policies: the validator's <c>NotEnforced</c> findings, each naming its field and what is
    /// enforced instead).
    /// </summary>
    public PolicyChange Import(IReadOnlyList<PolicyText> texts, bool allowL4Only = false)
    {
        lock (_lock)
        {
            var before = Snapshot();
            var change = Policies.Load(texts, allowL4Only ? null : IsUnenforceable);
            if (change.Applied && change.Revision != before.Revision)
            {
                var keys = change.Report.Files.SelectMany(f => f.Policies.Select(p => StoredPolicyKey.Of(ResourceKey.Of(p.Document, f.File)))).ToList();
                SavePolicies(before, new StoredImport([.. texts.Select(t => new StoredPolicyFile(t.File, t.Text))], keys));
                Regenerate();
            }

            return change;
        }
    }

    public static bool IsUnenforceable(Membrane.Policy.Diagnostics.FieldError finding) =>
        finding.Kind == Membrane.Policy.Diagnostics.FieldErrorKind.NotEnforced;

    public PolicyChange DeletePolicies(IEnumerable<ResourceKey> keys)
    {
        lock (_lock)
        {
            var before = Snapshot();
            var change = Policies.Delete(keys);
            if (change.Revision != before.Revision)
            {
                SavePolicies(before, added: null);
                Regenerate();
            }

            return change;
        }
    }

    /// <summary>
    /// Stops. Without a state directory the endpoints are removed (nothing would take them back). With one they stay,
    /// enforced by their pinned links, for the next agent to restore; only when none is left is the pinned datapath
    /// removed too, so a stopped agent with no endpoints leaves nothing on the bpf file system.
    /// </summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_state is null)
            {
                foreach (var name in _endpoints.Keys.ToList())
                {
                    DeleteEndpoint(name);
                }
            }

            ReleaseAll();

            // The datapath stays pinned while anything may still run on it: an endpoint the agent holds, or one it left
            // in the kernel because its file did not read (its configuration is still in the map, its links pinned).
            if (_endpoints.Count == 0 && _options.PinRoot is { } pinRoot && !Datapath.Endpoints.Keys<uint>().Any() &&
                !(Directory.Exists(LinkDirectory(pinRoot)) && Directory.EnumerateFileSystemEntries(LinkDirectory(pinRoot)).Any()))
            {
                Datapath.Unpin();
            }

            Datapath.Dispose();
            if (_options.PinRoot is { } root)
            {
                RemoveIfEmpty(LinkDirectory(root));
                RemoveIfEmpty(Path.Combine(root, "datapath"));
            }

            _stateLock?.Dispose();
        }
    }

    /// <summary>Lets go of every endpoint's attachments, leaving them in place.</summary>
    private void ReleaseAll()
    {
        foreach (var managed in _endpoints.Values)
        {
            managed.Attachments.ForEach(a => a.Release());
        }
    }

    private static void RemoveIfEmpty(string directory)
    {
        if (Directory.Exists(directory) && !Directory.EnumerateFileSystemEntries(directory).Any())
        {
            Directory.Delete(directory);
        }
    }

    /// <summary>
    /// Brings endpoints' maps to their map state under the current policies and identities: every endpoint, or with
    /// <paramref name="onlyWherePeersChanged"/> only those whose state the identity changes since the last
    /// regeneration altered. That is right after an endpoint is made or deleted: a peer identity coming or going changes
    /// which entries an endpoint has, never whether a rule selects it (that depends on its own labels), so its
    /// default-deny flags stay; and it keeps a creation among many endpoints and rules from rewriting them all.
    /// </summary>
    private void Regenerate(bool onlyWherePeersChanged = false)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var changed = Policies.TakeIdentityDeltas();

        // A prefix a policy names is a CIDR identity: its addresses must map to it in the ipcache before an endpoint's
        // policy names it. (CIDR identities are never taken back, so neither are their entries.)
        foreach (var identity in Policies.Identities.All.Where(i => i.IsCidr && !_cidrsInIpcache.Contains(i.Id)).ToList())
        {
            foreach (var (key, value) in IpcacheEncoder.EntriesOf(identity))
            {
                Datapath.Ipcache.Update(key, value);
            }

            _cidrsInIpcache.Add(identity.Id);
        }

        foreach (var managed in _endpoints.Values.Where(e => !onlyWherePeersChanged || changed.ContainsKey(e.Record.Identity)))
        {
            managed.Writer.Apply(Policies.Resolve(Policies.Identities[managed.Record.Identity]!), PolicyTarget);
        }

        Regenerated?.Invoke(System.Diagnostics.Stopwatch.GetElapsedTime(started));
    }

    private void Remove(PolicyBufferWriter writer)
    {
        foreach (var step in writer.PlanRemoval())
        {
            step.ApplyTo(PolicyTarget);
        }
    }

    /// <summary>Takes an endpoint's addresses from its identity, and the identity away when no endpoint has it any more.</summary>
    private void ReleaseIdentity(uint id, IEnumerable<System.Net.IPAddress> addresses)
    {
        var left = Policies.Identities.RemoveAddresses(id, addresses);
        if (left.Addresses.IsEmpty && !_endpoints.Values.Any(e => e.Record.Identity == id))
        {
            Policies.Identities.Remove(id);
        }
    }

    private sealed record Managed(EndpointRecord Record, PolicyBufferWriter Writer, List<ProgramAttachment> Attachments);
}
