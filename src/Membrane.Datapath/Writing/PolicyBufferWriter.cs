using Membrane.Datapath.Encoding;
using Membrane.Datapath.Layout;
using Membrane.Policy.Engine.MapState;

namespace Membrane.Datapath.Writing;

/// <summary>
/// Writes one endpoint's map state to the policy map so that every update is atomic as a packet sees it
/// (docs/datapath.md §9). The endpoint has two buffers; packets read the live one. An update writes, into the idle
/// buffer, only the keys where it differs from the new state, then switches the endpoint's configuration to it in one
/// hash-map update (which also carries that state's default-deny bits and the endpoint's addresses), then brings the
/// buffer just left to the same state. So at rest both buffers hold the state: the next update is a delta again, and
/// nothing of an earlier state stays in the map (a policy deleted frees its entries in both buffers).
/// <para>
/// Planning is pure: <see cref="Plan"/> says what to do and changes nothing. The writer's record of what each buffer
/// holds changes only as steps go through <see cref="Apply(PolicyWriteStep, IPolicyMapTarget)"/>, one map operation at
/// a time and only once the operation succeeded, so whatever fails, the writer's view is the map's. That is what lets
/// <see cref="PolicyTransaction"/> undo a change exactly.
/// </para>
/// </summary>
public sealed class PolicyBufferWriter
{
    private readonly PolicyCookieTable _cookies;
    private readonly Dictionary<PolicyMapKey, PolicyMapValue>[] _buffers = [[], []];

    /// <param name="endpoint">The configuration to install: the endpoint's number, identity and addresses (the policy
    /// id and flags are the writer's to set).</param>
    public PolicyBufferWriter(uint ifindex, EndpointConfig endpoint, PolicyCookieTable cookies)
    {
        Ifindex = ifindex;
        Endpoint = endpoint with { PolicyId = EndpointConfig.PolicyIdOf(endpoint.EndpointId, 0), Flags = 0 };
        Wanted = Endpoint;
        _cookies = cookies;
    }

    /// <summary>
    /// Takes over an endpoint whose buffers another process wrote (an agent restarting): <paramref name="live"/> is
    /// the configuration the kernel holds, and <paramref name="policyEntries"/> the policy map's entries (those of
    /// other endpoints are skipped). Nothing is written: the next update writes the idle buffer and switches, as ever,
    /// so packets go on reading the old state whole until then. <paramref name="wanted"/>, when given, is the
    /// configuration the next switch installs (the endpoint's addresses as the agent knows them).
    /// </summary>
    public static PolicyBufferWriter Resume(
        uint ifindex, EndpointConfig live, IEnumerable<KeyValuePair<PolicyMapKey, PolicyMapValue>> policyEntries, PolicyCookieTable cookies,
        EndpointConfig? wanted = null)
    {
        var writer = new PolicyBufferWriter(ifindex, live, cookies) { Endpoint = live, Installed = true };
        writer.Wanted = (wanted ?? live) with { PolicyId = live.PolicyId, Flags = live.Flags };
        foreach (var (key, value) in policyEntries)
        {
            if (key.PolicyId >> 1 == live.EndpointId)
            {
                writer._buffers[key.PolicyId & 1][key with { PolicyId = 0 }] = value;
            }
        }

        return writer;
    }

    public uint Ifindex { get; }

    /// <summary>How many entries the live buffer holds.</summary>
    public int LiveEntries => _buffers[LiveBuffer].Count;

    /// <summary>How many entries this endpoint holds in the policy map, both buffers together.</summary>
    public int Entries => _buffers[0].Count + _buffers[1].Count;

    /// <summary>The configuration the map holds now (live), as the last switch applied wrote it.</summary>
    public EndpointConfig Endpoint { get; private set; }

    /// <summary>The configuration the next switch installs, but for its policy id and flags.</summary>
    public EndpointConfig Wanted { get; private set; }

    public int LiveBuffer => (int)(Endpoint.PolicyId & 1);

    /// <summary>
    /// Makes <paramref name="identity"/> the endpoint's own identity from the next switch on (its labels changed): the
    /// map keeps the old one until that switch writes the new configuration whole.
    /// </summary>
    public void WantIdentity(uint identity) => Wanted = Wanted with { Identity = identity };

    /// <summary>Whether the map holds this endpoint's configuration (after its first switch, until its removal).</summary>
    public bool Installed { get; private set; }

    /// <summary>
    /// What takes the endpoint to <paramref name="state"/>: the idle buffer written (deletes first, so that a full map
    /// frees before it fills), one switch, then the buffer left brought to the same state. Empty when the map already
    /// holds the state in both buffers under the wanted configuration. Changes nothing.
    /// </summary>
    public PolicyUpdate Plan(EndpointMapState state)
    {
        var desired = PolicyMapEncoder.Encode(state, 0, _cookies);
        var flags = PolicyMapEncoder.DefaultDenyFlags(state);

        // The first install writes buffer 0 and switches to it; later ones write the idle buffer.
        var target = Installed ? 1 - LiveBuffer : 0;
        var other = 1 - target;
        var config = Wanted with { PolicyId = EndpointConfig.PolicyIdOf(Wanted.EndpointId, target), Flags = flags };
        if (Installed && Same(_buffers[LiveBuffer], desired) && Same(_buffers[1 - LiveBuffer], desired) &&
            config with { PolicyId = Endpoint.PolicyId } == Endpoint)
        {
            return PolicyUpdate.None(this);
        }

        var write = Delta(_buffers[target], desired, EndpointConfig.PolicyIdOf(Wanted.EndpointId, target));
        var sync = Delta(_buffers[other], desired, EndpointConfig.PolicyIdOf(Wanted.EndpointId, other));
        return new PolicyUpdate(this, write, new PolicyWriteStep.Switch(Ifindex, config), sync,
            WriteGrowth: desired.Count - _buffers[target].Count, SyncGrowth: desired.Count - _buffers[other].Count);
    }

    /// <summary>Plans and applies an update in order, without a transaction; returns how many map operations it took.</summary>
    public int Apply(EndpointMapState state, IPolicyMapTarget target)
    {
        var update = Plan(state);
        foreach (var step in update.Steps)
        {
            Apply(step, target);
        }

        return update.Steps.Count;
    }

    /// <summary>
    /// Applies one step to the map and, once the map took it, to the writer's record of the map: the one way the
    /// writer's view changes, so it never parts from the map's.
    /// </summary>
    public void Apply(PolicyWriteStep step, IPolicyMapTarget target)
    {
        step.ApplyTo(target);
        switch (step)
        {
            case PolicyWriteStep.Upsert upsert:
                _buffers[upsert.Key.PolicyId & 1][upsert.Key with { PolicyId = 0 }] = upsert.Value;
                break;
            case PolicyWriteStep.Delete delete:
                _buffers[delete.Key.PolicyId & 1].Remove(delete.Key with { PolicyId = 0 });
                break;
            case PolicyWriteStep.Switch change:
                Endpoint = change.Config;
                Wanted = change.Config;
                Installed = true;
                break;
            case PolicyWriteStep.RemoveEndpoint:
                Installed = false;
                break;
        }
    }

    /// <summary>
    /// The steps that bring one buffer back to <paramref name="contents"/> (as <see cref="Snapshot"/> took it): how a
    /// transaction undoes a write. Deletes of what was added come first, so undoing never needs more room than before.
    /// </summary>
    public IReadOnlyList<PolicyWriteStep> PlanRestore(int buffer, IReadOnlyDictionary<PolicyMapKey, PolicyMapValue> contents) =>
        Delta(_buffers[buffer], contents, EndpointConfig.PolicyIdOf(Endpoint.EndpointId, buffer));

    /// <summary>A copy of what one buffer holds now.</summary>
    public IReadOnlyDictionary<PolicyMapKey, PolicyMapValue> Snapshot(int buffer) => new Dictionary<PolicyMapKey, PolicyMapValue>(_buffers[buffer]);

    /// <summary>The steps that remove the endpoint: its configuration first (packets then fail closed), then both buffers.</summary>
    public IReadOnlyList<PolicyWriteStep> PlanRemoval()
    {
        var steps = new List<PolicyWriteStep>();
        if (Installed)
        {
            steps.Add(new PolicyWriteStep.RemoveEndpoint(Ifindex));
        }

        for (var buffer = 0; buffer < 2; buffer++)
        {
            var policyId = EndpointConfig.PolicyIdOf(Endpoint.EndpointId, buffer);
            steps.AddRange(_buffers[buffer].Keys.Select(k => new PolicyWriteStep.Delete(k with { PolicyId = policyId })));
        }

        return steps;
    }

    private static bool Same(Dictionary<PolicyMapKey, PolicyMapValue> buffer, Dictionary<PolicyMapKey, PolicyMapValue> desired) =>
        buffer.Count == desired.Count && desired.All(kv => buffer.TryGetValue(kv.Key, out var value) && value == kv.Value);

    /// <summary>The deletes, then the upserts, that turn a buffer's contents into <paramref name="desired"/>.</summary>
    private static List<PolicyWriteStep> Delta(
        Dictionary<PolicyMapKey, PolicyMapValue> current, IReadOnlyDictionary<PolicyMapKey, PolicyMapValue> desired, uint policyId)
    {
        var steps = new List<PolicyWriteStep>();
        foreach (var key in current.Keys)
        {
            if (!desired.ContainsKey(key))
            {
                steps.Add(new PolicyWriteStep.Delete(key with { PolicyId = policyId }));
            }
        }

        foreach (var (key, value) in desired)
        {
            if (!current.TryGetValue(key, out var old) || old != value)
            {
                steps.Add(new PolicyWriteStep.Upsert(key with { PolicyId = policyId }, value));
            }
        }

        return steps;
    }
}
