using Membrane.Datapath.Layout;
using Membrane.Datapath.Writing;
using Membrane.Policy.Engine.Service;

namespace Membrane.Agent.Node;

/// <summary>
/// Brings the policy map and the ipcache to the policy service's state (the identities, and each endpoint's map state
/// under the rules), all or nothing and in an order no packet can tell apart from "before" or "after": the control
/// plane's core, written against <see cref="IPolicyMapTarget"/> and <see cref="IIpcacheTarget"/>, so that the kernel's
/// maps (the agent) and the twin's (tests without root, which decide packets between any two writes) are driven by
/// the same code. It knows nothing of networks, links or the state directory: the <see cref="NodeAgent"/> does, and
/// says when to save through the callbacks it passes.
/// </summary>
public sealed class PolicyEnforcer(PolicyService policies, IPolicyMapTarget policyMap, MapLimit policyLimit, IIpcacheTarget ipcache, MapLimit ipcacheLimit)
{
    /// <summary>An endpoint to enforce: its identity (whose map state it gets) and its buffers' writer.</summary>
    public readonly record struct Enforced(uint Identity, PolicyBufferWriter Writer);

    public PolicyService Policies { get; } = policies;

    /// <summary>The ipcache as written (what the kernel took).</summary>
    public IpcacheWriter Ipcache { get; } = new(ipcache);

    public IPolicyMapTarget PolicyMap { get; } = policyMap;

    /// <summary>
    /// What the kernel holds for endpoints the agent left in place because their files did not read (restore): their
    /// ipcache entries are kept as they are, and their policy entries count against the policy map's capacity.
    /// </summary>
    public Dictionary<IpcacheKey, IpcacheValue> ForeignIpcache { get; set; } = [];

    public long ForeignPolicyEntries { get; set; }

    /// <summary>Raised after every regeneration with how long it took (the metrics observe it).</summary>
    public event Action<TimeSpan>? Regenerated;

    /// <summary>What went wrong after a change was made, or while one was being taken back; the next change finishes it.</summary>
    public event Action<string>? Warning;

    /// <summary>The policy map's room: its capacity, and what the endpoints (and those left in the kernel) hold.</summary>
    public PolicyMapBudget Budget(IEnumerable<Enforced> endpoints) =>
        new(policyLimit.Name, policyLimit.Capacity, endpoints.Sum(e => (long)e.Writer.Entries) + ForeignPolicyEntries);

    /// <summary>What the ipcache must hold: the node's identities (an endpoint's own address before any CIDR of the same
    /// prefix), and what endpoints the agent left in the kernel still have there.</summary>
    public Dictionary<IpcacheKey, IpcacheValue> DesiredIpcache()
    {
        var desired = Membrane.Datapath.Encoding.IpcacheEncoder.Encode(Policies.Identities);
        foreach (var (key, value) in ForeignIpcache)
        {
            desired.TryAdd(key, value);
        }

        return desired;
    }

    /// <summary>
    /// Brings the maps to the policy service's state, all or nothing: the endpoints' policy buffers to their states
    /// under the current policies and identities (every endpoint, or with <paramref name="onlyWherePeersChanged"/> the
    /// new ones and those whose state the identity changes since the last regeneration altered), and the ipcache to the
    /// node's identities. In order:
    /// <list type="number">
    /// <item>the ipcache and the policy map are checked to hold the result (<see cref="MapFullException"/> before
    /// anything is written);</item>
    /// <item>every idle buffer is written (<see cref="PolicyTransaction"/>), unseen by packets;</item>
    /// <item><paramref name="beforeSwitch"/> runs (the policies are saved);</item>
    /// <item>ipcache entries that go or change are removed, so no address carries an identity the new states do not
    /// know;</item>
    /// <item>every endpoint switches;</item>
    /// <item>new ipcache entries are added (every live state knows their identities by now), and the buffers left are
    /// brought to the new states;</item>
    /// <item><paramref name="beforeInstall"/> runs, then endpoints not installed yet get their first policy.</item>
    /// </list>
    /// A failure up to the switch takes everything back; one after it is reported through <see cref="Warning"/>, and the
    /// writers, which record only what the kernel took, let the next change finish it. With
    /// <paramref name="moveAddresses"/> (endpoints changing identity, whose old and new identities both states know),
    /// an address whose identity changes is overwritten after the switch rather than removed before it.
    /// </summary>
    public void Enforce(IReadOnlyCollection<Enforced> endpoints, bool onlyWherePeersChanged = false, Action? beforeSwitch = null,
        Action? beforeInstall = null, bool moveAddresses = false)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var changed = Policies.TakeIdentityDeltas();
        var desired = DesiredIpcache();
        if (desired.Count > ipcacheLimit.Capacity)
        {
            throw new MapFullException(ipcacheLimit.Name, ipcacheLimit.Capacity, Ipcache.Entries.Count, desired.Count,
                "name fewer CIDR prefixes (each is one entry, and each endpoint's address one more)");
        }

        var transaction = new PolicyTransaction(PolicyMap, Budget(endpoints));
        foreach (var endpoint in endpoints.Where(e => e.Writer.Installed))
        {
            if (!onlyWherePeersChanged || changed.ContainsKey(endpoint.Identity))
            {
                transaction.Add(endpoint.Writer.Plan(Policies.Resolve(Policies.Identities[endpoint.Identity]!)));
            }
        }

        transaction.WriteIdle();
        IReadOnlyList<KeyValuePair<IpcacheKey, IpcacheValue>> removed = [];
        try
        {
            beforeSwitch?.Invoke();
            removed = Ipcache.RemoveStale(desired, keepChanged: moveAddresses);
            transaction.Switch();
        }
        catch (Exception failure)
        {
            transaction.Abort();
            try
            {
                Ipcache.Restore(removed);
            }
            catch (Exception e)
            {
                Warning?.Invoke($"a change was taken back ({failure.Message}), but the ipcache could not be put back whole ({e.Message}); the next change does it");
            }

            throw;
        }

        try
        {
            Ipcache.AddMissing(desired);
        }
        catch (Exception e)
        {
            Warning?.Invoke($"the change is made, but some ipcache entries could not be added ({e.Message}); the next change adds them");
        }

        if (transaction.Sync() is { } syncFailure)
        {
            Warning?.Invoke($"the change is made, but the idle policy buffers could not all be brought up to it ({syncFailure.Message}); the next change does it");
        }

        // Endpoints not installed yet (being created, or taken back onto a new datapath) get their policy last: their
        // addresses are in the ipcache by now, so their first packets reach their peers as themselves, never as world.
        beforeInstall?.Invoke();
        var installs = new PolicyTransaction(PolicyMap, Budget(endpoints));
        foreach (var endpoint in endpoints.Where(e => !e.Writer.Installed))
        {
            installs.Add(endpoint.Writer.Plan(Policies.Resolve(Policies.Identities[endpoint.Identity]!)));
        }

        if (installs.Updates.Count > 0 && installs.Commit() is { } installSync)
        {
            Warning?.Invoke($"an endpoint's policy is in place, but its idle buffer could not be brought up to it ({installSync.Message}); the next change does it");
        }

        Regenerated?.Invoke(System.Diagnostics.Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// Makes a policy change so that every packet's verdict is, at every moment, its verdict under the old policies or
    /// under the new ones (docs/datapath.md §9), and all or nothing:
    /// <list type="number">
    /// <item>the CIDR identities of the prefixes the new policies name are added, and every endpoint is brought to its
    /// state under the old rules with them (a prefix inside one the old rules name is judged as that one was), and only
    /// then are the new prefixes put in the ipcache: an address moving from one identity to a narrower one keeps its
    /// verdict;</item>
    /// <item>the new rules, over every identity: every endpoint's idle buffer is written, <paramref name="save"/> runs
    /// (the policies are saved), and every endpoint switches;</item>
    /// <item>identities no rule names any more leave the ipcache first, then the states.</item>
    /// </list>
    /// A failure in the first two takes everything back (the policy service to where it was, the maps with it, and,
    /// through <paramref name="unsave"/>, the saved state when <paramref name="save"/> had run); the third only frees
    /// what is no longer needed, and a failure there is a warning. <paramref name="published"/> runs once the new
    /// identities exist, before any enters the ipcache (the monitor may see them from then on).
    /// </summary>
    public PolicyChange ChangePolicies(StagedPolicies staged, Func<IReadOnlyCollection<Enforced>> endpoints, Action? published = null,
        Action? save = null, Action? unsave = null)
    {
        var before = Policies.Snapshot();
        var saved = false;
        PolicyChange change;
        try
        {
            Policies.AddCidrsFor(staged);
            published?.Invoke();
            Enforce(endpoints(), onlyWherePeersChanged: true);
            change = Policies.Commit(staged, releaseUnnamed: false);
            Enforce(endpoints(), beforeSwitch: () =>
            {
                save?.Invoke();
                saved = true;
            });
        }
        catch (Exception failure)
        {
            Policies.Reinstate(before);
            try
            {
                // The identities the change added leave the ipcache before the states that know them go back.
                Enforce(endpoints());
            }
            catch (Exception e)
            {
                Warning?.Invoke($"a policy change was refused ({failure.Message}), and bringing the kernel back failed ({e.Message}); the next change does it");
            }

            if (saved)
            {
                unsave?.Invoke();
            }

            throw;
        }

        try
        {
            if (Policies.ReleaseUnnamedCidrs().Count > 0)
            {
                Enforce(endpoints(), onlyWherePeersChanged: true);
            }
        }
        catch (Exception e)
        {
            Warning?.Invoke($"the policy change is made, but what it no longer needs could not all be freed ({e.Message}); the next change does it");
        }

        return change;
    }
}
