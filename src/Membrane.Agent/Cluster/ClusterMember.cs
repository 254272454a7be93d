using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Etcdserverpb;
using Google.Protobuf;
using Membrane.Agent.Control;
using Membrane.Agent.Node;
using Membrane.Cluster;
using Membrane.Netlink.Namespaces;
using Membrane.Policy.Engine.Labels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Membrane.Agent.Cluster;

/// <summary>
/// The node's part in the cluster (cluster mode), a hosted service of four loops over one etcd connection:
/// <list type="bullet">
/// <item><b>the lease</b>, renewed every third of its TTL; everything the node announces is under it;</item>
/// <item><b>the watch</b> of every key under <c>membrane/v1/</c> into a <see cref="ClusterState"/>, resumed from its
/// revision after a break (with backoff and jitter), listed again when that revision was compacted;</item>
/// <item><b>apply</b>: from the cluster's state to the node, as a reconciler (the whole desired state each time, so
/// a missed signal costs nothing): the other nodes' endpoints into the ipcache and the states (through the
/// <see cref="Regenerator"/>, coalesced), the routes to their pod CIDRs, and the cluster's policies;</item>
/// <item><b>publish</b>: from the node to etcd, also as a reconciler: its record, its endpoints' addresses and its
/// references to their identities, what differs written in transactions under its lease;</item>
/// <item><b>collect</b>: identities no node references, released after the grace period.</item>
/// </list>
/// etcd out of reach stops none of the node's enforcement: every loop waits and tries again, and catches up.
/// </summary>
public sealed partial class ClusterMember : BackgroundService, IWatchSink
{
    /// <summary>The most operations put in one transaction: etcd refuses more than 128 (its --max-txn-ops).</summary>
    public const int MaxTransactionOps = 120;

    private readonly ClusterOptions _options;
    private readonly string _node;
    private readonly NodeAgent _agent;
    private readonly Regenerator _regenerator;
    private readonly ClusterJoin _join;
    private readonly string _stateDirectory;
    private readonly ILogger _log;
    private readonly NodeLease _lease;
    private readonly PrefixWatcher _watcher;
    private readonly NodeRoutes _routes;
    private readonly IdentityAllocator _allocator;
    private readonly Lock _stateLock = new();
    private readonly SemaphoreSlim _applySignal = new(0, 1);
    private readonly SemaphoreSlim _publishSignal = new(0, 1);
    private readonly TimeSpan _changeTimeout;

    // What this node put under its current lease, by key: the publisher writes only what differs.
    private readonly Dictionary<string, string> _published = new(StringComparer.Ordinal);
    private readonly Dictionary<uint, (string Text, LabelSet Labels)> _parsedLabels = [];
    private long _appliedRevision;

    // What changed since the last apply (under the state lock), so that a change to one part does not recompute the
    // others: an identity allocated somewhere costs no pass over every remote endpoint. A full pass runs at least every
    // FullApplyInterval whatever changed.
    private ClusterSection _dirty = ClusterSection.All;
    private long _lastFullApply;
    private int _waitingForIdentity;
    private static readonly TimeSpan FullApplyInterval = TimeSpan.FromSeconds(10);
    private long _enforcedPolicyRevision;
    private long _badEntries;
    private long _publishWrites;
    private string _lastSkipped = "";

    public ClusterMember(ClusterOptions options, string node, NodeAgent agent, Regenerator regenerator, ClusterJoin join, string stateDirectory,
        TimeSpan changeTimeout, ILogger<ClusterMember> log)
    {
        (_options, _node, _agent, _regenerator, _join, _stateDirectory, _changeTimeout, _log) = (options, node, agent, regenerator, join, stateDirectory, changeTimeout, log);
        _lease = new NodeLease(join.Etcd, options.LeaseTtl);
        _lease.Granted += _ =>
        {
            lock (_published)
            {
                _published.Clear(); // nothing is under the new lease yet
            }

            Signal(_publishSignal);
        };
        _lease.Lost += () => _log.LogWarning("the node's lease expired while etcd was out of reach; the node's announcements are made again under a new one");
        State.BadData += (key, why) => _log.LogWarning("etcd key {Key} skipped: {Why}", key, why);
        State.Changed += touched => _dirty |= touched; // raised under the state lock, by the watcher
        _watcher = new PrefixWatcher(join.Etcd, ClusterKeys.Prefix, this);
        _watcher.Broken += why => _log.LogWarning("the watch of etcd broke ({Why}); it resumes from revision {Revision}", why, _watcher.Revision);
        _routes = new NodeRoutes(NetworkNamespace.OpenCurrent());
        _allocator = new IdentityAllocator(join.Etcd.Client, ClusterOptions.FirstIdentity, ClusterOptions.LastIdentity);
        agent.ViewPublished += () => Signal(_publishSignal);
    }

    /// <summary>The cluster as this node follows it.</summary>
    public ClusterState State { get; } = new();

    public string NodeName => _node;

    /// <summary>Whether the watch is established now (etcd answers).</summary>
    public bool Connected => _watcher.Connected;

    /// <summary>The etcd revision whose endpoints and policies the node enforces.</summary>
    public long AppliedRevision => Interlocked.Read(ref _appliedRevision);

    /// <summary>The cluster's policy revision the node enforces.</summary>
    public long EnforcedPolicyRevision => Interlocked.Read(ref _enforcedPolicyRevision);

    /// <summary>Keys skipped because they did not decode, and entries the node refused (bad data), since the start.</summary>
    public long BadData => State.BadDataCount + Interlocked.Read(ref _badEntries);

    /// <summary>Transactions the publisher wrote.</summary>
    public long PublishWrites => Interlocked.Read(ref _publishWrites);

    /// <summary>Every call the agent started against etcd (requests, and streams opened).</summary>
    public long EtcdRequests => _join.Etcd.Requests;

    public long LeaseId => _lease.Id;

    /// <summary>
    /// The identity number of a new label set, from the cluster (called under the agent's lock, on the regenerator's
    /// thread, bounded by the request timeout); etcd not answering is a <see cref="ClusterUnavailableException"/>.
    /// </summary>
    public static Func<LabelSet, uint> Numbering(ClusterJoin join)
    {
        // One allocator for the agent: it takes numbers from blocks it reserved, which a new allocator would not reuse.
        var allocator = new IdentityAllocator(join.Etcd.Client, ClusterOptions.FirstIdentity, ClusterOptions.LastIdentity);
        return labels => Number(allocator, join, labels);
    }

    private static uint Number(IdentityAllocator allocator, ClusterJoin join, LabelSet labels)
    {
        try
        {
            return ClusterJoin.Bounded(join.Etcd.Options, ct => allocator.AllocateAsync(labels.ToString(), ct)).GetAwaiter().GetResult();
        }
        catch (ClusterUnavailableException e)
        {
            throw new ClusterUnavailableException($"the labels {labels} have no identity on this node, and a new identity is numbered by the cluster: {e.Message}. " +
                "Endpoints with labels the node already knows are still created", e);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stopping)
    {
        try
        {
            var lease = await ClusterJoin.Bounded(_options.Etcd, ct => _lease.AcquireAsync(_join.SavedLease, ct), stopping);
            _join.SaveLease(_stateDirectory, _node, lease);
            _log.LogInformation("node {Node} joined the cluster with lease {Lease:x}, pod CIDRs {IPv4} and {IPv6}", _node, lease, _join.IPv4Cidr, _join.IPv6Cidr);
        }
        catch (ClusterUnavailableException e)
        {
            _log.LogWarning("etcd is out of reach at the start ({Why}); the node enforces what it had and joins when etcd answers", e.Message);
        }

        _lease.Granted += id => _join.SaveLease(_stateDirectory, _node, id);
        await Task.WhenAll(
            _lease.RunAsync(stopping),
            _watcher.RunAsync(stopping),
            Loop("apply", _applySignal, ApplyAsync, TimeSpan.FromSeconds(10), stopping),
            Loop("publish", _publishSignal, PublishAsync, TimeSpan.FromSeconds(5), stopping),
            Loop("collect", null, CollectAsync, _options.IdentityGrace / 4, stopping));
    }

    /// <summary>Runs <paramref name="step"/> on each signal, and at least every <paramref name="period"/>; a failure is logged and waited out.</summary>
    private async Task Loop(string name, SemaphoreSlim? signal, Func<CancellationToken, Task> step, TimeSpan period, CancellationToken stopping)
    {
        var backoff = new Backoff();
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (signal is null)
                {
                    await Task.Delay(period, stopping);
                }
                else
                {
                    await signal.WaitAsync(period, stopping);
                }

                await step(stopping);
                backoff.Reset();
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is ClusterUnavailableException or EtcdUnavailableException or Grpc.Core.RpcException or ChangeTimeoutException)
            {
                _log.LogWarning("cluster {Loop}: {Why}; trying again", name, e.Message);
                await Delay(backoff, stopping);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                _log.LogError(e, "cluster {Loop} failed; trying again", name);
                await Delay(backoff, stopping);
            }
        }
    }

    private static async Task Delay(Backoff backoff, CancellationToken stopping)
    {
        try
        {
            await backoff.DelayAsync(stopping);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static void Signal(SemaphoreSlim signal)
    {
        try
        {
            if (signal.CurrentCount == 0)
            {
                signal.Release();
            }
        }
        catch (SemaphoreFullException)
        {
        }
    }

    void IWatchSink.Reset(IReadOnlyList<Mvccpb.KeyValue> kvs, long revision)
    {
        lock (_stateLock)
        {
            State.Reset(kvs, revision);
        }

        Signal(_applySignal);
        Signal(_publishSignal);
    }

    void IWatchSink.Apply(IReadOnlyList<Mvccpb.Event> events, long revision)
    {
        lock (_stateLock)
        {
            State.Apply(events, revision);
        }

        Signal(_applySignal);
    }

    /// <summary>
    /// Brings the node to the cluster's state: the other nodes' endpoints, the routes to their pod CIDRs, and the
    /// cluster's policies. Waits for nothing but the regenerator.
    /// </summary>
    private async Task ApplyAsync(CancellationToken stopping)
    {
        List<RemoteEndpoint>? remote = null;
        List<(IPNetwork, IPAddress)>? routes = null;
        Dictionary<string, string>? policies = null;
        long revision, policyRevision;
        ClusterSection dirty;
        List<string> refusedRemote = [], refusedRoutes = [], refusedPolicies = [];
        lock (_stateLock)
        {
            if (State.Revision == 0)
            {
                return; // not listed yet: nothing is known of the cluster, and nothing is taken away for that
            }

            revision = State.Revision;
            policyRevision = State.PolicyRevision;
            (dirty, _dirty) = (_dirty, ClusterSection.None);
            if (Stopwatch.GetElapsedTime(_lastFullApply) >= FullApplyInterval)
            {
                (dirty, _lastFullApply) = (ClusterSection.All, Stopwatch.GetTimestamp());
            }

            if ((dirty & (ClusterSection.Ipcache | ClusterSection.Nodes)) != 0 || (dirty & ClusterSection.Identities) != 0 && _waitingForIdentity > 0)
            {
                remote = DesiredRemote(refusedRemote);
            }

            routes = (dirty & ClusterSection.Nodes) != 0 ? DesiredRoutes(refusedRoutes) : null;
            policies = (dirty & ClusterSection.Policies) != 0 ? new Dictionary<string, string>(State.Policies, StringComparer.Ordinal) : null;
        }

        // Each part on its own: one the node cannot take (a map full) must not keep the others from being applied.
        var failures = new List<string>();
        async Task Part(string what, Func<Task> part)
        {
            try
            {
                await part();
            }
            catch (Exception e) when (e is not OperationCanceledException || !stopping.IsCancellationRequested)
            {
                failures.Add($"{what}: {e.Message}");
            }
        }

        if (remote is not null)
        {
            await Part("the other nodes' endpoints", async () => refusedRemote.AddRange(await _regenerator.RunAsync("the cluster's endpoints", () => _agent.ApplyRemote(remote), _changeTimeout, stopping)));
            _refused[0] = refusedRemote;
        }

        if (routes is not null)
        {
            await Part("the routes to the other nodes", () => { refusedRoutes.AddRange(_routes.Reconcile(routes)); return Task.CompletedTask; });
            _refused[1] = refusedRoutes;
        }

        if (policies is not null)
        {
            await Part("the cluster's policies", () => ApplyPoliciesAsync(policies, refusedPolicies, stopping));
            _refused[2] = refusedPolicies;
        }

        LogRefused([.. _refused.SelectMany(r => r)]);

        if (failures.Count > 0)
        {
            lock (_stateLock)
            {
                _dirty |= dirty; // done again at the next pass
            }

            // Not applied: the node keeps enforcing what it had, says so in its record, and tries again.
            var failure = string.Join("; ", failures);
            if (_applyFailure?.Message != failure)
            {
                Signal(_publishSignal);
            }

            _applyFailure = new ApplyFailure(revision, failure);
            throw new InvalidOperationException($"the cluster's revision {revision} is not applied: {failure}");
        }

        if (_applyFailure is not null)
        {
            _applyFailure = null;
            Signal(_publishSignal);
        }

        Interlocked.Exchange(ref _appliedRevision, revision);
        if (Interlocked.Exchange(ref _enforcedPolicyRevision, policyRevision) != policyRevision)
        {
            Signal(_publishSignal);
        }
    }

    // The last apply that failed: the revision it tried, and why; null once one succeeds.
    private volatile ApplyFailure? _applyFailure;

    private sealed record ApplyFailure(long Revision, string Message);

    /// <summary>The node's health as its record says it: ok, or what of the cluster's state it does not enforce.</summary>
    public string Health => _applyFailure is { } failure ? $"degraded: {failure.Message}" : "ok";

    // What each part (remote endpoints, routes, policies) refused when it was last computed.
    private readonly List<string>[] _refused = [[], [], []];

    private void LogRefused(List<string> refused)
    {
        var summary = string.Join("; ", refused);
        if (summary != _lastSkipped)
        {
            // Logged when it changes, not at every pass.
            Interlocked.Add(ref _badEntries, refused.Count);
            _lastSkipped = summary;
            if (refused.Count > 0)
            {
                _log.LogWarning("cluster entries not applied ({Count}): {Entries}", refused.Count, summary.Length > 2000 ? summary[..2000] + "..." : summary);
            }
        }
    }

    /// <summary>
    /// The other nodes' endpoints, from the cluster's ipcache. An entry is taken only when its address is in the pod
    /// CIDR of the node that publishes it (a node cannot claim another's addresses, nor this node's), and its identity's
    /// labels are known and read. Called under the state lock.
    /// </summary>
    private List<RemoteEndpoint> DesiredRemote(List<string> refused)
    {
        var remote = new List<RemoteEndpoint>(State.Ipcache.Count);
        _waitingForIdentity = 0;
        foreach (var (address, entry) in State.Ipcache)
        {
            if (entry.Node == _node)
            {
                continue;
            }

            var (v4, v6) = State.PodCidrsOf(entry.Node);
            if (!(v4?.Contains(address) ?? false) && !(v6?.Contains(address) ?? false))
            {
                refused.Add($"{address}: node {entry.Node} publishes it, but it is not in that node's pod CIDRs ({v4?.ToString() ?? "none"}, {v6?.ToString() ?? "none"})");
                continue;
            }

            if (!State.Identities.TryGetValue(entry.Identity, out var text))
            {
                _waitingForIdentity++; // its identity is not known yet (or was released): the address stays world until it is
                continue;
            }

            if (!_parsedLabels.TryGetValue(entry.Identity, out var parsed) || parsed.Text != text)
            {
                if (!LabelSet.TryParse(text, out var labels, out var error) || labels.Labels.IsEmpty)
                {
                    refused.Add($"{address}: identity {entry.Identity}'s labels do not read ({error})");
                    continue;
                }

                _parsedLabels[entry.Identity] = parsed = (text, labels);
            }

            remote.Add(new RemoteEndpoint(address, entry.Identity, parsed.Labels, entry.Node));
        }

        return remote;
    }

    /// <summary>A route to each other live node's pod CIDRs, through its underlay address of the same family. Under the state lock.</summary>
    private List<(IPNetwork, IPAddress)> DesiredRoutes(List<string> refused)
    {
        var routes = new List<(IPNetwork, IPAddress)>();
        foreach (var (record, v4, v6) in State.Nodes.Where(n => n.Record.Name != _node))
        {
            foreach (var cidr in new[] { v4, v6 }.OfType<IPNetwork>())
            {
                var family = cidr.BaseAddress.AddressFamily;
                if (cidr.Contains(_join.IPv4Cidr.BaseAddress) || cidr.Contains(_join.IPv6Cidr.BaseAddress))
                {
                    refused.Add($"node {record.Name}'s pod CIDR {cidr} overlaps this node's");
                    continue;
                }

                if (record.Addresses.Select(IPAddress.Parse).FirstOrDefault(a => a.AddressFamily == family) is { } via)
                {
                    routes.Add((cidr, via));
                }
            }
        }

        return routes;
    }

    /// <summary>
    /// Publishes the node's own state: its record, its endpoints' addresses (ipcache) and its references to their
    /// identities, in transactions under its lease; keys of its own that it no longer wants (seen in etcd, or written
    /// earlier) are deleted. References go before the addresses that need them, in the same transaction or an earlier
    /// one. An identity of its endpoints that etcd no longer holds (released while the node was out of reach) is put
    /// back first.
    /// </summary>
    private async Task PublishAsync(CancellationToken stopping)
    {
        var lease = _lease.Id;
        if (lease == 0 || State.Revision == 0)
        {
            return;
        }

        var endpoints = _agent.Endpoints;
        var desired = new Dictionary<string, string>(StringComparer.Ordinal);
        var identities = new Dictionary<uint, string>();
        foreach (var endpoint in endpoints)
        {
            identities[endpoint.Identity] = new LabelSet([.. endpoint.Labels.Select(Label.Parse)]).ToString();
        }

        foreach (var id in identities.Keys.Order())
        {
            desired[ClusterKeys.Reference(id, _node)] = "";
        }

        foreach (var endpoint in endpoints)
        {
            var value = JsonSerializer.Serialize(new IpcacheRecord(endpoint.Identity, _node), ClusterJsonContext.Default.IpcacheRecord);
            desired[ClusterKeys.Ipcache(endpoint.Network.IPv4)] = value;
            desired[ClusterKeys.Ipcache(endpoint.Network.IPv6)] = value;
        }

        desired[ClusterKeys.Node(_node)] = JsonSerializer.Serialize(new NodeRecord(_node, [.. _options.NodeAddresses.Select(a => a.ToString())],
            [_join.IPv4Cidr.ToString(), _join.IPv6Cidr.ToString()], AgentVersion, EnforcedPolicyRevision, Health),
            ClusterJsonContext.Default.NodeRecord);

        List<string> owned;
        List<uint> missing;
        HashSet<string> overwritten;
        lock (_stateLock)
        {
            owned = [.. State.Ipcache.Where(e => e.Value.Node == _node).Select(e => ClusterKeys.Ipcache(e.Key)),
                .. State.References.Where(r => r.Value.Contains(_node)).Select(r => ClusterKeys.Reference(r.Key, _node))];
            missing = [.. identities.Keys.Where(id => !State.Identities.ContainsKey(id))];

            // This node's addresses as someone else wrote them (another node, or a hand): written again, whatever this
            // node wrote last. The other nodes refuse an address from a node whose pod CIDR does not hold it.
            overwritten = [.. endpoints.SelectMany(e => new[] { e.Network.IPv4, e.Network.IPv6 })
                .Where(a => State.Ipcache.TryGetValue(a, out var seen) && seen.Node != _node).Select(ClusterKeys.Ipcache)];
        }

        foreach (var id in missing)
        {
            var number = await ClusterJoin.Bounded(_options.Etcd, ct => _allocator.RestoreAsync(id, LabelsOf(id), ct), stopping);
            if (number != id)
            {
                _log.LogWarning("identity {Id} ({Labels}) was released while this node was out of reach, and its labels have the number {Number} now; " +
                    "this node's endpoints with it are not published (other nodes see them as world) until they are created again", id, LabelsOf(id), number);
                foreach (var endpoint in endpoints.Where(e => e.Identity == id))
                {
                    desired.Remove(ClusterKeys.Ipcache(endpoint.Network.IPv4));
                    desired.Remove(ClusterKeys.Ipcache(endpoint.Network.IPv6));
                }
            }
        }

        var ops = new List<RequestOp>();
        lock (_published)
        {
            // Deletes first: an address that moved from this node to another must not be taken back after the other put it.
            foreach (var key in owned.Concat(_published.Keys).Distinct().Where(k => !desired.ContainsKey(k)))
            {
                ops.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = ByteString.CopyFromUtf8(key) } });
            }

            foreach (var (key, value) in desired.Where(d => !_published.TryGetValue(d.Key, out var written) || written != d.Value || overwritten.Contains(d.Key)))
            {
                ops.Add(new RequestOp { RequestPut = new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value), Lease = lease } });
            }
        }

        // References sort before the ipcache in the desired order above; chunks keep that order.
        foreach (var chunk in ops.Chunk(MaxTransactionOps))
        {
            var request = new TxnRequest();
            request.Success.AddRange(chunk);
            await _join.Etcd.TxnAsync(request, "publish the node's endpoints", stopping);
            Interlocked.Increment(ref _publishWrites);
            lock (_published)
            {
                foreach (var op in chunk)
                {
                    if (op.RequestPut is { } put)
                    {
                        _published[put.Key.ToStringUtf8()] = put.Value.ToStringUtf8();
                    }
                    else
                    {
                        _published.Remove(op.RequestDeleteRange.Key.ToStringUtf8());
                    }
                }
            }
        }

        string LabelsOf(uint id) => identities[id];
    }

    /// <summary>
    /// Releases identities that no node has referenced for the grace period: their number and labels are deleted by a
    /// transaction that holds only if no reference exists at that moment. Numbers are never handed out again, so a node
    /// whose maps still hold a released number (it was cut off) never sees it mean other labels.
    /// </summary>
    private async Task CollectAsync(CancellationToken stopping)
    {
        List<(uint Id, string Labels)> candidates;
        var now = DateTime.UtcNow;
        lock (_stateLock)
        {
            if (State.Revision == 0)
            {
                return;
            }

            foreach (var id in _unreferencedSince.Keys.Where(id => !State.Identities.ContainsKey(id) || State.References.ContainsKey(id)).ToList())
            {
                _unreferencedSince.Remove(id);
            }

            foreach (var id in State.Identities.Keys.Where(id => !State.References.ContainsKey(id)))
            {
                _unreferencedSince.TryAdd(id, now);
            }

            candidates = [.. _unreferencedSince.Where(u => now - u.Value >= _options.IdentityGrace).Select(u => (u.Key, State.Identities[u.Key]))];
        }

        foreach (var (id, labels) in candidates)
        {
            if (await ClusterJoin.Bounded(_options.Etcd, ct => _allocator.ReleaseAsync(id, labels, ct), stopping))
            {
                _log.LogInformation("identity {Id} ({Labels}) released: no node has referenced it for {Grace}", id, labels, _options.IdentityGrace);
            }

            _unreferencedSince.Remove(id);
        }
    }

    // When each identity was first seen with no reference, by this agent's clock.
    private readonly Dictionary<uint, DateTime> _unreferencedSince = [];

    public static string AgentVersion { get; } =
        typeof(ClusterMember).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyInformationalVersionAttribute), false)
            .OfType<System.Reflection.AssemblyInformationalVersionAttribute>().FirstOrDefault()?.InformationalVersion.Split('+')[0] ?? "0";

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        _join.Etcd.Dispose();
    }
}
