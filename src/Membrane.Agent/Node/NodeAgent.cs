using System.Collections.Immutable;
using Membrane.Agent.Addressing;
using Membrane.Agent.Endpoints;
using Membrane.Agent.State;
using Membrane.Datapath.Ebpf.Attachment;
using Membrane.Datapath.Ebpf.Loading;
using Membrane.Datapath.Encoding;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Writing;
using Membrane.Netlink.Namespaces;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Engine.Service;
using Membrane.Policy.Validation;

namespace Membrane.Agent.Node;

/// <summary>
/// One node's enforcement, as a library: endpoints (network, identity, ipcache entries, policy buffers, attached
/// programs) and policies (through the policy service), kept in step. Every change reaches the kernel all or nothing
/// (<see cref="Enforce"/>): a policy imported or deleted regenerates every endpoint, and an endpoint created or deleted
/// (a peer identity coming or going) those whose state it changed; a change that does not fit in the maps, or that the
/// kernel or the state directory refuses part way, is taken back whole, so the agent's view and the kernel's never
/// part. Calls are serialised: two at once never interleave their map writes, nor their state files.
/// With a state directory, every endpoint and the policies are written there (atomically) before a change is
/// reported done, and a new agent takes them back (NodeAgent.Restore.cs); without one, disposing the agent removes
/// its endpoints.
/// </summary>
public sealed partial class NodeAgent : Control.IPolicyCommitter, IDisposable
{
    private const string EndpointsKind = "endpoints";
    private const string PoliciesKind = "policies";
    private const string RepositoryName = "repository";

    private readonly Lock _lock = new();

    // Replaced whole at the end of every change (see Changing); read without the lock.
    private volatile NodeView _view = NodeView.Empty;
    private readonly NodeAgentOptions _options;
    private readonly EndpointNetworkBuilder _networks;
    private readonly PolicyCookieTable _cookies = new();
    private readonly Dictionary<string, Managed> _endpoints = new(StringComparer.Ordinal);
    private StateStore? _state;
    private IDisposable? _stateLock;
    private IDisposable? _pinLock;
    private PolicyEnforcer _enforcer = null!;
    private bool _started;

    private IpcacheWriter _ipcache => _enforcer.Ipcache;

    // What the kernel holds for endpoints the agent left in place because their files did not read (restore): their
    // ipcache entries are kept as they are, and their policy entries count against the policy map's capacity.
    private Dictionary<IpcacheKey, IpcacheValue> _foreignIpcache
    {
        get => _enforcer.ForeignIpcache;
        set => _enforcer.ForeignIpcache = value;
    }

    private long _foreignPolicyEntries
    {
        get => _enforcer.ForeignPolicyEntries;
        set => _enforcer.ForeignPolicyEntries = value;
    }

    private List<StoredImport> _imports = [];
    private PolicyState? _savedPolicies;
    private uint _nextEndpointId = 1;
    private bool _disposed;

    /// <summary>A node agent not started yet: the constructor touches nothing (<see cref="Start()"/> does).</summary>
    public NodeAgent(NodeAgentOptions options)
    {
        _options = options;
        _networks = new EndpointNetworkBuilder(options.Node, options.NodeName, new AddressPool(options.IPv4Pool), new AddressPool(options.IPv6Pool));
    }

    /// <summary>A node agent, started (<see cref="Start()"/>).</summary>
    public static NodeAgent Start(NodeAgentOptions options)
    {
        var agent = new NodeAgent(options);
        agent.Start();
        return agent;
    }

    /// <summary>
    /// Starts the node's enforcement: the datapath pinned under <see cref="NodeAgentOptions.PinRoot"/> is taken back
    /// if there is one (its maps hold what the kernel enforces now), else loaded and pinned; then, with a state
    /// directory, endpoints and policies are restored (see <see cref="Restored"/>). Throws
    /// <see cref="AgentStateException"/> when the state cannot be taken back without enforcing less, or when another
    /// agent holds the state directory; then nothing is held, and the agent may be disposed.
    /// </summary>
    public void Start()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_started)
            {
                throw new InvalidOperationException("the node agent is started already");
            }

            StartUnderLock(_options);
            _started = true;
        }
    }

    private void StartUnderLock(NodeAgentOptions options)
    {
        _state = options.StateDirectory is { } directory ? OpenState(directory) : null;
        _stateLock = _state?.Lock();
        try
        {
            _pinLock = LockPinRoot(options.PinRoot);
            _networks.EnableForwarding();
            Datapath = OpenDatapath(options, out var reopened, out var replaced);
            try
            {
                PolicyTarget = new KernelPolicyMapTarget(Datapath);
                _enforcer = new PolicyEnforcer(Policies, PolicyTarget, new MapLimit(Datapath.Policy.Name, Datapath.Policy.Spec.MaxEntries),
                    new KernelIpcacheTarget(Datapath), new MapLimit(Datapath.Ipcache.Name, Datapath.Ipcache.Spec.MaxEntries));
                _enforcer.Warning += message => Warning?.Invoke(message);
                _enforcer.Regenerated += elapsed => Regenerated?.Invoke(elapsed);
                _ipcache.Adopt(Datapath.Ipcache.Entries<IpcacheKey, IpcacheValue>());
                Restored = _state is null ? RestoreReport.None : Restore(_state);
                PublishView();
                if (replaced is not null)
                {
                    Restored = Restored with { Warnings = [replaced, .. Restored.Warnings] };
                }
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
            _pinLock?.Dispose();
            _stateLock?.Dispose();
            throw;
        }
    }

    /// <summary>What was taken back from the state directory at start.</summary>
    public RestoreReport Restored { get; private set; } = RestoreReport.None;

    public PolicyService Policies { get; } = new();

    /// <summary>Raised after every regeneration with how long it took (the metrics observe it).</summary>
    public event Action<TimeSpan>? Regenerated;

    /// <summary>
    /// Raised for what went wrong after a change was already made, or while one was being taken back (the host logs
    /// it): the change stands, or was undone, and the next one finishes what is left.
    /// </summary>
    public event Action<string>? Warning;

    public LoadedDatapath Datapath { get; private set; } = null!;

    public KernelPolicyMapTarget PolicyTarget { get; private set; } = null!;

    /// <summary>How each endpoint's programs are attached (tcx, or tc clsact on kernels without it).</summary>
    public AttachMode? AttachMode { get; private set; }

    /// <summary>The policy map's capacity and how many entries the agent's endpoints (and any it left in the kernel) hold.</summary>
    public PolicyMapBudget PolicyMapUsage => _view.PolicyMap ?? throw new ObjectDisposedException(nameof(NodeAgent));

    /// <summary>Every endpoint, by name, as the last change left them. Never waits for a change.</summary>
    public IReadOnlyList<EndpointRecord> Endpoints => _view.Endpoints;

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

    /// <summary>
    /// The kernel's ipcache now, read from the map itself (not from the agent's view of it): each prefix with the
    /// identity the datapath gives its addresses, most specific first.
    /// </summary>
    public IReadOnlyList<(System.Net.IPNetwork Prefix, uint Identity)> LiveIpcache() =>
        [.. Datapath.Ipcache.Entries<IpcacheKey, IpcacheValue>()
            .Select(e => (new System.Net.IPNetwork(e.Key.Address.ToAddress(e.Key.Family), (int)e.Key.PrefixLength - Membrane.Datapath.DatapathConstants.IpcacheFamilyBits), e.Value.Identity))
            .OrderByDescending(e => e.Item1.PrefixLength).ThenBy(e => e.Item1.ToString(), StringComparer.Ordinal)];

    /// <summary>The conntrack entries now, decoded, with the name of the endpoint each belongs to.</summary>
    public IReadOnlyList<(string? Endpoint, Membrane.Datapath.Encoding.ConntrackRow Row)> LiveConntrack()
    {
        var now = (ulong)System.Diagnostics.Stopwatch.GetTimestamp(); // CLOCK_MONOTONIC on Linux, as bpf_ktime_get_ns
        var view = _view;
        return [.. Datapath.Conntrack.Entries<ConntrackKey, ConntrackEntry>()
            .Select(e => (view.EndpointById(e.Key.EndpointId)?.Name, Membrane.Datapath.Encoding.ConntrackDecoder.Decode(e.Key, e.Value, now)))];
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

    /// <summary>The endpoint with a datapath endpoint number (the one events carry), or null. Never waits for a change.</summary>
    public EndpointRecord? EndpointById(uint endpointId) => _view.EndpointById(endpointId);

    /// <summary>An endpoint with this identity (endpoints with the same labels share one), or null. Never waits for a change.</summary>
    public EndpointRecord? EndpointByIdentity(uint identity) => _view.EndpointByIdentity(identity);

    /// <summary>
    /// The labels of any identity the node knows (empty for one it does not), as the last change left them: the monitor
    /// and the API ask from their own threads, and must not wait while a change regenerates every endpoint.
    /// </summary>
    public IReadOnlyList<string> LabelsOf(uint identity) => _view.LabelsOf(identity);

    /// <summary>
    /// Enters the agent's lock for a change; leaving publishes the <see cref="NodeView"/> the change left, whether it
    /// was made or taken back.
    /// </summary>
    private ChangeScope Changing() => new(this);

    /// <summary>
    /// Raised, under the agent's lock, each time a change has published its view (made or taken back): what follows the
    /// node's state (the cluster publisher) is woken. A handler only signals; it must not wait.
    /// </summary>
    public event Action? ViewPublished;

    /// <summary>Publishes what the endpoints and identities are now. Called under the lock.</summary>
    private void PublishView()
    {
        _view = BuildView();
        ViewPublished?.Invoke();
    }

    private NodeView BuildView() => new(_endpoints.Values.Select(e => e.Record), Policies.Identities.All, PolicyBudget(),
        Policies.Revision, [.. Policies.Repository.Resources.Select(r => (r.Key, r.Document.Position.File))],
        _namespaceLabels.ToDictionary(kv => kv.Key, kv => (IReadOnlyDictionary<string, string>)kv.Value, StringComparer.Ordinal),
        _remote.Values); // replaced whole by each change, never changed once published

    /// <summary>The policies held and the repository's revision, as the last change left them. Never waits for a change.</summary>
    public (long Revision, IReadOnlyList<(ResourceKey Key, string File)> Resources) PolicySnapshot => (_view.PolicyRevision, _view.Policies);

    private ref struct ChangeScope
    {
        private readonly NodeAgent _agent;
        private Lock.Scope _scope;

        public ChangeScope(NodeAgent agent)
        {
            _agent = agent;
            _scope = agent._lock.EnterScope();
            if (!agent._started && !agent._disposed)
            {
                _scope.Dispose();
                throw new InvalidOperationException("the node agent is not started");
            }
        }

        public void Dispose()
        {
            try
            {
                _agent.PublishView();
            }
            finally
            {
                _scope.Dispose();
            }
        }
    }

    /// <summary>The endpoint of that name, or null. Never waits for a change.</summary>
    public EndpointRecord? Endpoint(string name) => _view.Endpoint(name);

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
    /// directory the endpoint's file says <see cref="EndpointLifecycle.Creating"/> before anything is made (and the
    /// inode of the namespace made for it before that namespace has a name), so that a crash part way is swept up on
    /// restart, and <see cref="EndpointLifecycle.Ready"/> before this returns. The programs are attached before the
    /// endpoint has a configuration, so until its policy is in place its packets are dropped (unknown endpoint), never
    /// let through unfiltered; an adopted namespace's processes may already be sending.
    /// In two parts: <see cref="PrepareEndpoint"/> (the network and the links: slow, in the kernel, and the endpoint's
    /// alone, so several run at once) and <see cref="CompleteEndpoint"/> (identity, ipcache and policy: one change, as
    /// every other).
    /// </summary>
    public EndpointRecord CreateEndpoint(string name, LabelSet labels, string kubernetesNamespace = "default", string? adoptNamespace = null,
        ImmutableDictionary<string, NamedPort>? namedPorts = null) =>
        CompleteEndpoint(PrepareEndpoint(name, labels, kubernetesNamespace, adoptNamespace, namedPorts));

    /// <summary>
    /// The first part of <see cref="CreateEndpoint"/>: checks the request, reserves the name (and an adopted namespace),
    /// writes the state file, makes the network and attaches the programs and the backstop, which drop everything the
    /// endpoint sends or is sent until it completes. Takes the agent's lock only for the checks, so creates of
    /// different endpoints make their networks at once. A failure undoes what it made.
    /// </summary>
    public PreparedEndpoint PrepareEndpoint(string name, LabelSet labels, string kubernetesNamespace = "default", string? adoptNamespace = null,
        ImmutableDictionary<string, NamedPort>? namedPorts = null)
    {
        namedPorts ??= ImmutableDictionary<string, NamedPort>.Empty;
        EndpointName.Check(name);
        if (labels.Labels.FirstOrDefault(l => l.Key.StartsWith(Label.NamespaceLabelsPrefix, StringComparison.Ordinal)) is { Key: not null } claimed)
        {
            // A namespace selector would match an endpoint that claimed its namespace's labels itself.
            throw new ArgumentException($"labels: {claimed} is the namespace's, not the endpoint's; a namespace's labels change with `membrane namespace label`");
        }

        uint endpointId;
        Task? removal;
        LabelSet? unknown;
        using (Changing())
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            CheckNewEndpoint(name, adoptNamespace);
            CheckPorts(name, labels, kubernetesNamespace, namedPorts);
            var withNamespace = WithNamespaceLabels(labels, kubernetesNamespace);
            unknown = _options.IdentityNumbers is not null && Policies.Identities.Find(withNamespace) is null ? withNamespace : null;
            endpointId = _nextEndpointId++;
            _preparing[name] = adoptNamespace;
            _removing.Remove(HostInterfaceName.For(_options.NodeName, name), out removal);
        }

        // A label set the node does not know is numbered by the cluster now, outside the agent's lock and before anything
        // is made: etcd out of reach refuses the create here, with nothing to undo, and holds up no other change.
        (LabelSet, uint)? numbered = null;
        if (unknown is not null)
        {
            try
            {
                numbered = (unknown, _options.IdentityNumbers!(unknown));
            }
            catch
            {
                lock (_lock)
                {
                    _preparing.Remove(name);
                    if (removal is not null)
                    {
                        _removing.TryAdd(HostInterfaceName.For(_options.NodeName, name), removal); // still to wait for, by the next create
                    }
                }

                throw;
            }
        }

        var creating = new EndpointState(name, kubernetesNamespace, [.. labels.Labels.Select(l => l.ToString())], endpointId, 0,
            EndpointLifecycle.Creating, adoptNamespace, null, null);
        EndpointNetwork? network = null;
        var attachments = new List<ProgramAttachment>();
        var backstops = new List<ProgramAttachment>();
        var saved = false;
        try
        {
            WaitForRemoval(HostInterfaceName.For(_options.NodeName, name), removal);

            // The file comes first: for a namespace of the agent's own, as soon as that namespace exists, unnamed, with
            // its inode; for an adopted one, before the veth is made in it.
            if (adoptNamespace is not null)
            {
                SaveEndpoint(creating);
                saved = true;
            }

            // The programs and the backstop go on the host-side veth before it is up: from the endpoint's first
            // packet on, until its policy is in place, everything it sends or is sent is dropped (unknown endpoint),
            // never let through unfiltered.
            network = _networks.Create(name, adoptNamespace,
                namespaceMade: inode =>
                {
                    SaveEndpoint(creating = creating with { NamespaceInode = inode });
                    saved = true;
                },
                beforeUp: host =>
                {
                    var target = new AttachTarget(host, _options.Node);
                    foreach (var direction in new[] { AttachDirection.Ingress, AttachDirection.Egress })
                    {
                        backstops.Add(ProgramAttachment.Adopt(Datapath.Backstop, target, direction, Membrane.Datapath.Ebpf.Attachment.AttachMode.TcClsact, null, TcPlacement.Backstop));
                    }

                    attachments.Add(Attach(Datapath.FromEndpoint, target, AttachDirection.Ingress, name));
                    attachments.Add(Attach(Datapath.ToEndpoint, target, AttachDirection.Egress, name));
                    AttachMode = attachments[0].Mode;
                });
            return new PreparedEndpoint(name, labels, kubernetesNamespace, adoptNamespace, namedPorts, endpointId, creating, network, attachments, backstops, saved)
            {
                Numbered = numbered,
            };
        }
        catch (Exception failure)
        {
            UndoPrepare(name, network, attachments, backstops, saved, failure);
            throw;
        }
    }

    /// <summary>
    /// The second part of <see cref="CreateEndpoint"/>, a change like any other: the identity (with the namespace's
    /// labels as they are now), the addresses in the ipcache, the peers' states, then the endpoint's own policy, and its
    /// file says <see cref="EndpointLifecycle.Ready"/>. A failure undoes the whole endpoint, network included.
    /// </summary>
    public EndpointRecord CompleteEndpoint(PreparedEndpoint prepared)
    {
        if (!prepared.TryClaim())
        {
            throw new InvalidOperationException($"endpoint {prepared.Name} was taken back before it was completed");
        }

        using (Changing())
        {
            var (name, network, attachments, backstops) = (prepared.Name, prepared.Network, prepared.Attachments, prepared.Backstops);
            var creating = prepared.Creating;
            Identity? identity = null;
            Managed? managed = null;
            try
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _preparing.Remove(name);

                // The namespace's labels as they are now: they may have changed while the network was being made.
                var withNamespace = WithNamespaceLabels(prepared.Labels, prepared.KubernetesNamespace);
                CheckPorts(name, prepared.Labels, prepared.KubernetesNamespace, prepared.NamedPorts);
                var addresses = new[] { network.IPv4, network.IPv6 };
                identity = Policies.Identities.Find(withNamespace) is { } existing
                    ? Policies.Identities.AddAddresses(existing.Id, addresses)
                    : Policies.Identities.AddEndpoint(withNamespace, id: prepared.Numbered is { } numbered && numbered.Labels.Equals(withNamespace)
                        ? numbered.Number
                        : _options.IdentityNumbers?.Invoke(withNamespace), addresses: addresses, namedPorts: prepared.NamedPorts);

                // Now the network and the identity are known: a crash from here on is swept up by what the file says
                // was made.
                creating = creating with { Labels = [.. withNamespace.Labels.Select(l => l.ToString())] };
                SaveEndpoint(creating = creating with { Network = StoredNetwork.Of(network), Identity = identity.Id });
                var config = new EndpointConfig { EndpointId = prepared.EndpointId, Identity = identity.Id }.WithAddresses(network.IPv4, network.IPv6);
                var record = new EndpointRecord(name, prepared.KubernetesNamespace, creating.Labels, prepared.EndpointId, identity.Id, network) { NamedPorts = prepared.NamedPorts };
                managed = new Managed(record, new PolicyBufferWriter((uint)network.HostIndex, config, _cookies), attachments, backstops)
                {
                    NamespaceInode = creating.NamespaceInode,
                };
                _endpoints[name] = managed;

                // Its peers learn its identity, then its addresses go into the ipcache, and only then does it get its own
                // policy: from its first packet on, its peers see it as itself, never as world.
                // Flows its peers tracked with its addresses while those were world, or another endpoint's, are not its:
                // they are forgotten once its addresses are its own in the ipcache, before it can send anything.
                Enforce(onlyWherePeersChanged: true, beforeInstall: () => ScrubFlows(prepared.EndpointId, addresses));
                SaveEndpoint(StateOf(record, EndpointLifecycle.Ready, attachments[0].Mode, creating.NamespaceInode));
                return record;
            }
            catch (Exception failure)
            {
                _preparing.Remove(name);
                UndoCreate(name, network, identity, managed, attachments, backstops, prepared.Saved || creating.Network is not null, failure);
                throw;
            }
        }
    }

    /// <summary>
    /// Takes back a prepared endpoint that will not be completed (its change was dropped, or the agent is stopping):
    /// its network, links and state file. Nothing when it has been completed, or is being.
    /// </summary>
    public void AbandonEndpoint(PreparedEndpoint prepared, Exception reason)
    {
        if (prepared.TryClaim())
        {
            UndoPrepare(prepared.Name, prepared.Network, prepared.Attachments, prepared.Backstops, prepared.Saved, reason);
        }
    }

    /// <summary>Endpoints being prepared (their networks being made), by name, with the namespace each adopts: reserved.</summary>
    private readonly Dictionary<string, string?> _preparing = new(StringComparer.Ordinal);

    /// <summary>The labels an endpoint of <paramref name="kubernetesNamespace"/> has: its own, its namespace's name, and the namespace's labels.</summary>
    private LabelSet WithNamespaceLabels(LabelSet labels, string kubernetesNamespace) =>
        WithNamespaceLabels(new LabelSet([.. labels.Labels.Where(l => l.Key != Label.NamespaceKey),
            new Label(Label.SourceKubernetes, Label.NamespaceKey, kubernetesNamespace)]), NamespaceLabels(kubernetesNamespace));

    /// <summary>
    /// Endpoints with the same labels share one identity, and rules find named ports on the identity: two that named
    /// the same port otherwise would make a rule's port depend on which of them was made first. Called under the lock.
    /// </summary>
    private void CheckPorts(string name, LabelSet labels, string kubernetesNamespace, ImmutableDictionary<string, NamedPort> namedPorts)
    {
        if (Policies.Identities.Find(WithNamespaceLabels(labels, kubernetesNamespace)) is { } sharing && !EndpointPorts.Same(sharing.NamedPorts, namedPorts))
        {
            throw new ResourceConflictException($"endpoint {name} has the labels of identity {sharing.Id}, whose endpoints name the ports " +
                $"{Describe(sharing.NamedPorts)}, not {Describe(namedPorts)}: endpoints with the same labels share an identity, and must name the same ports");
        }
    }

    /// <summary>Takes back what <see cref="PrepareEndpoint"/> made, network first, and frees the name.</summary>
    private void UndoPrepare(string name, EndpointNetwork? network, List<ProgramAttachment> attachments, List<ProgramAttachment> backstops, bool saved, Exception failure)
    {
        try
        {
            UndoCreate(name, network, identity: null, managed: null, attachments, backstops, saved, failure);
        }
        finally
        {
            lock (_lock)
            {
                _preparing.Remove(name);
            }
        }
    }

    private static string Describe(IReadOnlyDictionary<string, NamedPort> ports) =>
        ports.Count == 0 ? "(none)" : string.Join(",", ports.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"{p.Key}={p.Value}"));

    /// <summary>Refuses a name or namespace that another endpoint, or someone else, has (a client's error: 400).</summary>
    private void CheckNewEndpoint(string name, string? adoptNamespace)
    {
        if (_endpoints.ContainsKey(name))
        {
            throw new ResourceConflictException($"endpoint {name} exists already");
        }

        if (_preparing.ContainsKey(name))
        {
            throw new ResourceConflictException($"endpoint {name} is being created already");
        }


        if (adoptNamespace is null)
        {
            // The namespace is the endpoint's own and is deleted with it, so one that exists already is not taken over.
            if (NetworkNamespace.Exists(name))
            {
                throw new ResourceConflictException($"a network namespace named {name} exists already; adopt it with --netns {name}, or choose another name");
            }

            return;
        }

        if (!EndpointName.IsValidNamespaceFile(adoptNamespace, out var problem))
        {
            throw new ArgumentException($"netns: \"{adoptNamespace}\" {problem}");
        }

        if (NetworkNamespace.InodeOfName(adoptNamespace) is not { } inode)
        {
            throw new ArgumentException($"netns: there is no network namespace {adoptNamespace} (/run/netns/{adoptNamespace}); create it first (ip netns add {adoptNamespace})");
        }

        // By the namespace itself, not its name: another name for an endpoint's namespace (a second bind mount) is still
        // that endpoint's.
        if (_endpoints.Values.FirstOrDefault(e => e.Record.Network.NetworkNamespace == adoptNamespace ||
            NetworkNamespace.InodeOfName(e.Record.Network.NetworkNamespace) == inode) is { } other)
        {
            throw new ResourceConflictException($"netns: the network namespace {adoptNamespace} is endpoint {other.Record.Name}'s");
        }

        if (_preparing.FirstOrDefault(p => p.Value is { } adopting && (adopting == adoptNamespace || NetworkNamespace.InodeOfName(adopting) == inode)) is { Key: { } preparing })
        {
            throw new ResourceConflictException($"netns: the network namespace {adoptNamespace} is being adopted by endpoint {preparing}");
        }

        if (inode == _options.Node.Inode)
        {
            throw new ArgumentException($"netns: the network namespace {adoptNamespace} is the node's own, where the agent runs");
        }
    }

    /// <summary>Takes back what a failed create made, network first so that nothing of it flows unfiltered meanwhile.</summary>
    private void UndoCreate(string name, EndpointNetwork? network, Identity? identity, Managed? managed, List<ProgramAttachment> attachments,
        List<ProgramAttachment> backstops, bool saved, Exception failure)
    {
        void Try(string what, Action action)
        {
            try
            {
                action();
            }
            catch (Exception e)
            {
                Warning?.Invoke($"creating endpoint {name} failed ({failure.Message}), and undoing it could not {what}: {e.Message}");
            }
        }

        if (managed is not null)
        {
            _endpoints.Remove(name);
        }

        if (network is not null)
        {
            Try("remove its network", () => _networks.Delete(network));
            Try("forget its flows", () => ScrubFlows(managed?.Record.EndpointId ?? 0, [network.IPv4, network.IPv6]));
        }

        attachments.ForEach(a => Try("detach its programs", a.Dispose));
        backstops.ForEach(a => Try("detach its backstop", a.Dispose));
        if (managed is not null)
        {
            Try("remove its policy", () => Remove(managed.Writer));
        }

        if (identity is not null && network is not null)
        {
            Try("release its identity", () =>
            {
                ReleaseIdentity(identity.Id, [network.IPv4, network.IPv6]);
                Enforce(onlyWherePeersChanged: true);
            });
        }

        if (saved)
        {
            Try("remove its state file", () => _state?.Delete(EndpointsKind, name));
        }
    }

    /// <summary>Deletes an endpoint and everything its creation made; false when there is none of that name.</summary>
    public bool DeleteEndpoint(string name)
    {
        using (Changing())
        {
            if (!_endpoints.TryGetValue(name, out var managed))
            {
                return false;
            }

            // Marked first: an agent killed part way through finishes the delete when it starts again. When even that
            // cannot be written, nothing has been touched.
            try
            {
                SaveEndpoint(StateOf(managed.Record, EndpointLifecycle.Deleting, managed.Attachments[0].Mode, managed.NamespaceInode));
            }
            catch (StateStoreException e)
            {
                throw new EndpointDeleteException(name, partWay: false, e);
            }

            // The configuration first: from then on the endpoint's programs, which stay attached until its veth is
            // gone, drop everything it sends or is sent (unknown endpoint), so its network and links go after it
            // without a moment unfiltered. Each step is tried whatever the one before did, so as much as can go goes;
            // what could not is left for the next start, which the file (Deleting) sends to it.
            _endpoints.Remove(name);
            var network = managed.Record.Network;
            var failures = new List<Exception>();
            void Step(Action action)
            {
                try
                {
                    action();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    failures.Add(e);
                }
            }

            Step(() => Remove(managed.Writer));
            _foreignPolicyEntries += managed.Writer.Entries; // what the kernel refused to remove is still there, and counts

            // Its namespace is deleted now, which takes no RTNL lock; the kernel's removal of the veth pair with it,
            // which waits out an RCU grace period for each tcx link on it (~15 ms each, docs/performance.md) under that
            // lock, happens behind this call, and the links' descriptors are closed and the addresses freed once it
            // has. An adopted namespace's veth is deleted here.
            int? retired = null;
            var networkGone = false;
            Step(() =>
            {
                var (index, left) = _networks.Retire(network, managed.NamespaceInode);
                (retired, networkGone) = (index, true);
                if (left is not null)
                {
                    Warning?.Invoke($"endpoint {name}: {left}");
                }
            });
            if (!networkGone)
            {
                // The interface may still pass traffic: its programs and backstop stay, pinned, for the next start.
                managed.Attachments.ForEach(a => Step(a.Release));
                managed.Backstops.ForEach(a => Step(a.Release));
            }
            else if (retired is { } hostIndex)
            {
                managed.Attachments.ForEach(a => Step(a.Unpin));
                managed.Backstops.ForEach(a => Step(a.Release)); // a tc filter goes with its interface
                RemoveLater(network, hostIndex, managed.Attachments);
            }
            else
            {
                managed.Attachments.ForEach(a => Step(a.Dispose));
                managed.Backstops.ForEach(a => Step(a.Dispose));
            }

            Step(() => ReleaseIdentity(managed.Record.Identity, [network.IPv4, network.IPv6]));

            // Its peers lose its identity, and the ipcache its addresses (before their switch). Its flows are forgotten
            // after that, not before: until then a peer still sending to its address would be judged as it, and tracked
            // again.
            Step(() => Enforce(onlyWherePeersChanged: true));
            Step(() => ScrubFlows(managed.Record.EndpointId, [network.IPv4, network.IPv6]));
            if (failures.Count > 0)
            {
                throw new EndpointDeleteException(name, partWay: true, failures.Count == 1 ? failures[0] : new AggregateException(failures));
            }

            try
            {
                _state?.Delete(EndpointsKind, name);
            }
            catch (StateStoreException e)
            {
                throw new EndpointDeleteException(name, partWay: true, e);
            }

            return true;
        }
    }

    /// <summary>Host interfaces of deleted endpoints the kernel is still removing, with the task that waits for it.</summary>
    private readonly Dictionary<string, Task> _removing = new(StringComparer.Ordinal);

    /// <summary>
    /// Waits behind the caller for the kernel to remove a deleted endpoint's host veth (with its namespace, or by
    /// deleting it when something keeps the namespace alive), then closes its links' descriptors, which by then
    /// release defunct links at no cost, and gives its addresses back (nothing routes to them any more). A veth that
    /// cannot be removed keeps its links and its addresses: its programs go on dropping everything, and its addresses
    /// are not handed to another endpoint while the node still routes them to it.
    /// </summary>
    private void RemoveLater(EndpointNetwork network, int hostIndex, List<ProgramAttachment> links)
    {
        var hostInterface = network.HostInterface;
        // A thread of its own: the wait blocks in the kernel (RTNL), and on the thread pool it would hold up the API.
        _removing[hostInterface] = Task.Factory.StartNew(() =>
        {
            try
            {
                if (!_networks.RemoveRetired(hostInterface, hostIndex, TimeSpan.FromSeconds(5)))
                {
                    Warning?.Invoke($"the interface {hostInterface} of a deleted endpoint could not be removed; its programs drop everything through it");
                    return;
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                Warning?.Invoke($"removing the interface {hostInterface} of a deleted endpoint failed ({e.Message}); its programs drop everything through it");
                return;
            }

            _networks.ReleaseAddresses(network);
            foreach (var link in links)
            {
                try
                {
                    link.Dispose();
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Warning?.Invoke($"closing a link of the deleted interface {hostInterface} failed: {e.Message}");
                }
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    /// <summary>
    /// Waits for a deleted endpoint's interface of this name to be gone (a new endpoint of the same name needs it):
    /// <paramref name="removal"/>, taken from the interfaces being removed under the lock. One still there is a deleted
    /// endpoint's (an earlier agent was killed before the kernel removed it, and a process kept its namespace alive):
    /// the name it is derived from is the node's and the endpoint's, which the caller has reserved, and no live
    /// endpoint has that name. It is deleted.
    /// </summary>
    private void WaitForRemoval(string hostInterface, Task? removal)
    {
        if (removal is not null && !removal.Wait(TimeSpan.FromSeconds(10)))
        {
            throw new ResourceConflictException($"the interface {hostInterface} of a deleted endpoint of the same name is still being removed; try again");
        }

        using var links = Membrane.Netlink.Rtnetlink.Open(_options.Node);
        if (links.FindLink(hostInterface) is not null)
        {
            links.DeleteLink(hostInterface);
        }
    }

    /// <summary>
    /// Validates and applies policies; nothing is applied when anything is invalid, nor, unless
    /// <paramref name="allowL4Only"/>, when a rule needs what Membrane cannot enforce (L7, FQDN, services, groups,
    /// authentication, host policies: the validator's <c>NotEnforced</c> findings, each naming its field and what is
    /// enforced instead). Valid policies that the kernel cannot take whole (they do not fit in the policy map or the
    /// ipcache: <see cref="MapFullException"/>), or that the state directory cannot keep, are taken back whole: no
    /// revision, every endpoint on its previous state, nothing left in the maps.
    /// </summary>
    public PolicyChange Import(IReadOnlyList<PolicyText> texts, bool allowL4Only = false)
    {
        var staged = StageImport(texts, allowL4Only);
        return staged.IsValid ? CommitPolicies([StagedPolicyChange.Of(staged, texts)]) with { Report = staged.Report } : Policies.Commit(staged);
    }

    /// <summary>
    /// Validates and compiles an import without the agent's lock, and without changing anything: the work of an import
    /// that does not need the node, done by the caller's thread (<see cref="Control.Regenerator"/> then makes it). Invalid
    /// when anything is, or, unless <paramref name="allowL4Only"/>, when a rule needs what Membrane cannot enforce.
    /// </summary>
    public StagedPolicies StageImport(IReadOnlyList<PolicyText> texts, bool allowL4Only = false) =>
        Policies.Stage(texts, allowL4Only ? null : IsUnenforceable);

    public static bool IsUnenforceable(Membrane.Policy.Diagnostics.FieldError finding) =>
        finding.Kind == Membrane.Policy.Diagnostics.FieldErrorKind.NotEnforced;

    /// <summary>Removes policies; as an import, all or nothing. Every map entry they needed is freed.</summary>
    public PolicyChange DeletePolicies(IEnumerable<ResourceKey> keys) => CommitPolicies([StagedPolicyChange.Delete(keys)]);

    /// <summary>
    /// Makes valid policy changes, in order, as one change: the policies they leave are enforced, every endpoint brought
    /// to them once, and the imports kept in the state directory. All or nothing for the whole batch (a batch the
    /// kernel cannot take is refused whole, and its changes may then be made one by one). The report returned is the
    /// batch's; the revision and the changed endpoints are what the batch made.
    /// </summary>
    public PolicyChange CommitPolicies(IReadOnlyList<StagedPolicyChange> batch)
    {
        using (Changing())
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var staged = PolicyService.Combine([.. batch.Select(b => b.Staged)]);
            return Policies.Changes(staged) ? EnforcePolicyChange(staged, [.. batch.Select(b => b.Import).OfType<StoredImport>()]) : Policies.Commit(staged);
        }
    }

    /// <summary>
    /// Makes a policy change through the enforcer (<see cref="PolicyEnforcer.ChangePolicies"/>: every packet's verdict
    /// is, at every moment, its old or its new one, and all or nothing), saving the policies, with the imports that
    /// supply them, just before the switch; a change taken back takes the saved state back with it.
    /// </summary>
    private PolicyChange EnforcePolicyChange(StagedPolicies staged, IReadOnlyList<StoredImport> added)
    {
        PolicyState? next = null;
        List<StoredImport>? imports = null;
        var change = _enforcer.ChangePolicies(staged, Enforced, PublishView,
            save: () =>
            {
                (next, imports) = NextPolicyState(added);
                WritePolicies(next);
            },
            unsave: () =>
            {
                try
                {
                    WritePolicies(_savedPolicies);
                }
                catch (StateStoreException e)
                {
                    Warning?.Invoke($"a policy change was taken back, but the state directory could not be taken back with it ({e.Message}); " +
                        "a restart would restore the change that was refused");
                }
            });
        _imports = imports!;
        _savedPolicies = next;
        return change;
    }

    /// <summary>
    /// Checks every pin under the pin root (the datapath's maps and programs, each endpoint's tcx links) and pins again
    /// what was removed from outside. A link that is not pinned detaches when the agent's descriptor closes, at its next
    /// stop or crash, so this is what keeps enforcement in place then. Returns what it found; empty when all is well.
    /// </summary>
    public IReadOnlyList<PinRepair> RepairPins()
    {
        lock (_lock)
        {
            if (_options.PinRoot is not { } root || _disposed || !_started)
            {
                return [];
            }

            var repairs = new List<PinRepair>(Datapath.RepairPins(DatapathDirectory(root)));
            foreach (var managed in _endpoints.Values)
            {
                foreach (var attachment in managed.Attachments)
                {
                    if (LinkPin(managed.Record.Name, attachment.ProgramName) is { } pin && attachment.RepairPin(pin) is { } repair)
                    {
                        repairs.Add(repair);
                    }
                }
            }

            return repairs;
        }
    }

    /// <summary>
    /// Stops. Without a state directory the endpoints are removed (nothing would take them back). With one they stay,
    /// enforced by their pinned links, for the next agent to restore: the pins are checked and made again first, so that
    /// a stop never detaches enforcement (and should a link still go, its endpoint's backstop drops its traffic). Only
    /// when no endpoint is left is the pinned datapath removed too, so a stopped agent with no endpoints leaves nothing
    /// on the bpf file system.
    /// </summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            if (!_started)
            {
                _disposed = true;
                return;
            }

            if (_state is null)
            {
                foreach (var name in _endpoints.Keys.ToList())
                {
                    DeleteEndpoint(name);
                }
            }
            else
            {
                foreach (var problem in RepairPins().Where(r => !r.Repinned))
                {
                    Warning?.Invoke($"stopping with a pin that could not be made ({problem}): its endpoint fails closed (its backstop drops its traffic) until the agent starts again");
                }
            }

            _disposed = true;
            Task.WaitAll([.. _removing.Values], TimeSpan.FromSeconds(10));
            ReleaseAll();

            // The datapath stays pinned while anything may still run on it: an endpoint the agent holds, or one it left
            // in the kernel because its file did not read (its configuration is still in the map, its links pinned).
            if (_endpoints.Count == 0 && _options.PinRoot is { } pinRoot && !Datapath.Endpoints.Keys<uint>().Any() &&
                !(Directory.Exists(LinkDirectory(pinRoot)) && Directory.EnumerateFileSystemEntries(LinkDirectory(pinRoot)).Any()))
            {
                Datapath.Unpin();
            }

            Datapath.Dispose();
            _pinLock?.Dispose();
            if (_options.PinRoot is { } root)
            {
                RemoveIfEmpty(LinkDirectory(root));
                RemoveIfEmpty(DatapathDirectory(root));
                RemoveIfEmpty(root);
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
            managed.Backstops.ForEach(a => a.Release());
        }
    }

    private static void RemoveIfEmpty(string directory)
    {
        if (Directory.Exists(directory) && !Directory.EnumerateFileSystemEntries(directory).Any())
        {
            Directory.Delete(directory);
        }
    }

    /// <summary>Brings the kernel to the agent's view, all or nothing (<see cref="PolicyEnforcer.Enforce"/>), over every endpoint held.</summary>
    private void Enforce(bool onlyWherePeersChanged = false, Action? beforeSwitch = null, Action? beforeInstall = null, bool moveAddresses = false) =>
        _enforcer.Enforce(Enforced(), onlyWherePeersChanged, beforeSwitch, beforeInstall, moveAddresses);

    private List<PolicyEnforcer.Enforced> Enforced() => [.. _endpoints.Values.Select(e => new PolicyEnforcer.Enforced(e.Record.Identity, e.Writer))];

    private PolicyMapBudget PolicyBudget() => _enforcer.Budget(Enforced());

    /// <summary>
    /// Forgets the flows of an endpoint that goes: conntrack and fragment entries it tracked (its number), and those its
    /// peers tracked with its addresses. An address is handed out again, and a new endpoint on it must not inherit the
    /// old one's established flows (a peer's entry would let its packets past the peer's policy as "established").
    /// </summary>
    private void ScrubFlows(uint endpointId, IReadOnlyCollection<System.Net.IPAddress> addresses)
    {
        var gone = addresses.Select(a => (IpAddress16.FamilyOf(a), IpAddress16.From(a))).ToHashSet();
        foreach (var key in Datapath.Conntrack.Keys<ConntrackKey>()
            .Where(k => k.EndpointId == endpointId || gone.Contains((k.Family, k.Source)) || gone.Contains((k.Family, k.Destination))).ToList())
        {
            Datapath.Conntrack.Delete(key);
        }

        foreach (var key in Datapath.Fragments.Keys<FragmentKey>()
            .Where(k => k.EndpointId == endpointId || gone.Contains((k.Family, k.Source)) || gone.Contains((k.Family, k.Destination))).ToList())
        {
            Datapath.Fragments.Delete(key);
        }
    }

    /// <summary>Removes an endpoint's configuration, then its entries in both buffers, through its writer.</summary>
    private void Remove(PolicyBufferWriter writer)
    {
        foreach (var step in writer.PlanRemoval())
        {
            writer.Apply(step, PolicyTarget);
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

    /// <summary>An endpoint the agent holds, with what it needs to remove it: its writer, its attachments, and the inode of
    /// the namespace made for it (null when adopted, or made by an earlier version that did not record it).</summary>
    private sealed record Managed(EndpointRecord Record, PolicyBufferWriter Writer, List<ProgramAttachment> Attachments, List<ProgramAttachment> Backstops)
    {
        public ulong? NamespaceInode { get; init; }
    }
}
