using System.Collections.Immutable;
using Membrane.Agent.Addressing;
using Membrane.Agent.Endpoints;
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
/// programs) and policies (through the policy service), kept in step. Every change that can alter an endpoint's map
/// state (a policy imported or deleted, an endpoint created or deleted, which adds or removes a peer identity)
/// regenerates every endpoint through its double-buffered writer, so each endpoint moves from one whole state to the
/// next. Calls are serialised: two at once never interleave their map writes.
/// </summary>
public sealed class NodeAgent : IDisposable
{
    private readonly Lock _lock = new();
    private readonly NodeAgentOptions _options;
    private readonly EndpointNetworkBuilder _networks;
    private readonly PolicyCookieTable _cookies = new();
    private readonly Dictionary<string, Managed> _endpoints = new(StringComparer.Ordinal);
    private uint _nextEndpointId = 1;

    public NodeAgent(NodeAgentOptions options)
    {
        _options = options;
        _networks = new EndpointNetworkBuilder(options.Node, options.NodeName, new AddressPool(options.IPv4Pool), new AddressPool(options.IPv6Pool));
        _networks.EnableForwarding();
        Datapath = DatapathLoader.Load(options.Datapath);
        PolicyTarget = new KernelPolicyMapTarget(Datapath);
    }

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

    public EndpointRecord? Endpoint(string name)
    {
        lock (_lock)
        {
            return _endpoints.GetValueOrDefault(name)?.Record;
        }
    }

    /// <summary>
    /// Creates an endpoint: its network, its identity from its labels and Kubernetes namespace, its addresses in the
    /// ipcache, its policy, and the programs on its host-side veth. A failure part way undoes all of it.
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

            var withNamespace = new LabelSet([.. labels.Labels.Where(l => l.Key != Label.NamespaceKey),
                new Label(Label.SourceKubernetes, Label.NamespaceKey, kubernetesNamespace)]);
            var network = _networks.Create(name, adoptNamespace);
            var undo = new Stack<Action>();
            undo.Push(() => _networks.Delete(network));
            try
            {
                var addresses = new[] { network.IPv4, network.IPv6 };
                var existing = Policies.Identities.Find(withNamespace);
                var identity = existing is null
                    ? Policies.Identities.AddEndpoint(withNamespace, addresses: addresses)
                    : Policies.Identities.AddAddresses(existing.Id, addresses);
                undo.Push(() => ReleaseIdentity(identity.Id, addresses));
                foreach (var address in addresses)
                {
                    var key = IpcacheKey.Host(address);
                    Datapath.Ipcache.Update(key, new IpcacheValue { Identity = identity.Id });
                    undo.Push(() => Datapath.Ipcache.Delete(key));
                }

                var endpointId = _nextEndpointId++;
                var writer = new PolicyBufferWriter((uint)network.HostIndex, new EndpointConfig { EndpointId = endpointId, Identity = identity.Id }, _cookies);
                writer.Apply(Policies.Resolve(identity), PolicyTarget);
                undo.Push(() => Remove(writer));

                var target = new AttachTarget(network.HostInterface, _options.Node);
                var attachments = new List<ProgramAttachment>();
                undo.Push(() => attachments.ForEach(a => a.Dispose()));
                attachments.Add(ProgramAttachment.Attach(Datapath.FromEndpoint, target, AttachDirection.Ingress));
                attachments.Add(ProgramAttachment.Attach(Datapath.ToEndpoint, target, AttachDirection.Egress));
                AttachMode = attachments[0].Mode;
                if (_options.PinDirectory is { } pins)
                {
                    Directory.CreateDirectory(pins);
                    attachments[0].Pin(Path.Combine(pins, $"{name}_{Datapath.FromEndpoint.Name}"));
                    attachments[1].Pin(Path.Combine(pins, $"{name}_{Datapath.ToEndpoint.Name}"));
                }

                var record = new EndpointRecord(name, kubernetesNamespace, [.. withNamespace.Labels.Select(l => l.ToString())], endpointId, identity.Id, network);
                _endpoints[name] = new Managed(record, writer, attachments);
                Regenerate();
                return record;
            }
            catch
            {
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
            if (!_endpoints.Remove(name, out var managed))
            {
                return false;
            }

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
            Regenerate();
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
            var change = Policies.Load(texts, allowL4Only ? null : IsUnenforceable);
            if (change.Applied)
            {
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
            var change = Policies.Delete(keys);
            Regenerate();
            return change;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var name in _endpoints.Keys.ToList())
            {
                DeleteEndpoint(name);
            }

            Datapath.Dispose();
            if (_options.PinDirectory is { } pins && Directory.Exists(pins) && !Directory.EnumerateFileSystemEntries(pins).Any())
            {
                Directory.Delete(pins);
            }
        }
    }

    /// <summary>Brings every endpoint's maps to its map state under the current policies and identities.</summary>
    private void Regenerate()
    {
        // Each endpoint is brought to its whole state below, so the service's per-identity deltas are not needed.
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        Policies.TakeIdentityDeltas();
        foreach (var managed in _endpoints.Values)
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
