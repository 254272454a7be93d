using Membrane.Datapath.Encoding;
using Membrane.Datapath.Layout;
using Membrane.Policy.Engine.MapState;

namespace Membrane.Datapath.Writing;

/// <summary>
/// Writes one endpoint's map state to the policy map so that every update is atomic as a packet sees it
/// (docs/datapath.md §9). The endpoint has two buffers; packets read the live one. An update writes, into the idle
/// buffer, only the keys where it differs from the new state (the delta), then switches the endpoint's
/// configuration to it in one hash-map update, which also carries that state's default-deny bits. The writer keeps
/// what each buffer holds, so the next update writes the next delta into the buffer just left.
/// </summary>
public sealed class PolicyBufferWriter
{
    private readonly PolicyCookieTable _cookies;
    private readonly Dictionary<PolicyMapKey, PolicyMapValue>[] _buffers = [[], []];

    // Keys (as buffer-0 keys, policy id 0) where the idle buffer differs from the live one: after a switch, exactly
    // the keys the update changed. Tracking them keeps an update proportional to its delta.
    private HashSet<PolicyMapKey> _idleDiffers = [];

    public PolicyBufferWriter(uint ifindex, EndpointConfig endpoint, PolicyCookieTable cookies)
    {
        Ifindex = ifindex;
        Endpoint = endpoint with { PolicyId = EndpointConfig.PolicyIdOf(endpoint.EndpointId, 0) };
        _cookies = cookies;
    }

    /// <summary>
    /// Takes over an endpoint whose buffers another process wrote (an agent restarting): <paramref name="live"/> is
    /// the configuration the kernel holds, and <paramref name="policyEntries"/> the policy map's entries (those of
    /// other endpoints are skipped). Nothing is written: the next <see cref="Apply"/> writes the idle buffer and
    /// switches, as ever, so packets go on reading the old state whole until then, and an unchanged state writes
    /// nothing at all.
    /// </summary>
    public static PolicyBufferWriter Resume(
        uint ifindex, EndpointConfig live, IEnumerable<KeyValuePair<PolicyMapKey, PolicyMapValue>> policyEntries, PolicyCookieTable cookies)
    {
        var writer = new PolicyBufferWriter(ifindex, live, cookies) { Endpoint = live, Installed = true };
        foreach (var (key, value) in policyEntries)
        {
            if (key.PolicyId >> 1 == live.EndpointId)
            {
                writer._buffers[key.PolicyId & 1][key with { PolicyId = 0 }] = value;
            }
        }

        var (current, idle) = (writer._buffers[writer.LiveBuffer], writer._buffers[1 - writer.LiveBuffer]);
        writer._idleDiffers = [.. current.Keys.Union(idle.Keys).Where(k =>
            !current.TryGetValue(k, out var a) || !idle.TryGetValue(k, out var b) || a != b)];
        return writer;
    }

    public uint Ifindex { get; }

    /// <summary>How many entries the live buffer holds.</summary>
    public int LiveEntries => _buffers[LiveBuffer].Count;

    /// <summary>The configuration as it is live now (or will be after the first update's steps are applied).</summary>
    public EndpointConfig Endpoint { get; private set; }

    public int LiveBuffer => (int)(Endpoint.PolicyId & 1);

    public bool Installed { get; private set; }

    /// <summary>
    /// The steps that take the endpoint to <paramref name="state"/>, in the order they must be applied. The writer
    /// assumes they will be; <see cref="Apply"/> does both.
    /// </summary>
    public IReadOnlyList<PolicyWriteStep> Plan(EndpointMapState state)
    {
        var desired = PolicyMapEncoder.Encode(state, 0, _cookies);
        var live = _buffers[LiveBuffer];
        var changed = new HashSet<PolicyMapKey>();
        foreach (var (key, value) in desired)
        {
            if (!live.TryGetValue(key, out var old) || old != value)
            {
                changed.Add(key);
            }
        }

        foreach (var key in live.Keys)
        {
            if (!desired.ContainsKey(key))
            {
                changed.Add(key);
            }
        }

        var flags = PolicyMapEncoder.DefaultDenyFlags(state);
        if (Installed && changed.Count == 0 && flags == Endpoint.Flags)
        {
            return [];
        }

        // The first install writes buffer 0 and switches to it; later ones write the idle buffer.
        var target = Installed ? 1 - LiveBuffer : 0;
        var idle = _buffers[target];
        var policyId = EndpointConfig.PolicyIdOf(Endpoint.EndpointId, target);
        var steps = new List<PolicyWriteStep>();
        foreach (var key in Installed ? changed.Union(_idleDiffers) : desired.Keys)
        {
            var inIdle = idle.TryGetValue(key, out var idleValue);
            if (desired.TryGetValue(key, out var value))
            {
                if (!inIdle || idleValue != value)
                {
                    steps.Add(new PolicyWriteStep.Upsert(key with { PolicyId = policyId }, value));
                    idle[key] = value;
                }
            }
            else if (inIdle)
            {
                steps.Add(new PolicyWriteStep.Delete(key with { PolicyId = policyId }));
                idle.Remove(key);
            }
        }

        Endpoint = Endpoint with { PolicyId = policyId, Flags = flags };
        steps.Add(new PolicyWriteStep.Switch(Ifindex, Endpoint));
        _idleDiffers = Installed ? changed : [.. desired.Keys];
        Installed = true;
        return steps;
    }

    /// <summary>Plans and applies an update; returns how many map operations it took.</summary>
    public int Apply(EndpointMapState state, IPolicyMapTarget target)
    {
        var steps = Plan(state);
        foreach (var step in steps)
        {
            step.ApplyTo(target);
        }

        return steps.Count;
    }

    /// <summary>The steps that remove the endpoint: its configuration first (packets then fail closed), then both buffers.</summary>
    public IReadOnlyList<PolicyWriteStep> PlanRemoval()
    {
        var steps = new List<PolicyWriteStep>();
        if (!Installed)
        {
            return steps;
        }

        steps.Add(new PolicyWriteStep.RemoveEndpoint(Ifindex));
        for (var buffer = 0; buffer < 2; buffer++)
        {
            var policyId = EndpointConfig.PolicyIdOf(Endpoint.EndpointId, buffer);
            steps.AddRange(_buffers[buffer].Keys.Select(k => new PolicyWriteStep.Delete(k with { PolicyId = policyId })));
            _buffers[buffer].Clear();
        }

        Installed = false;
        return steps;
    }
}
