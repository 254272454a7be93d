namespace Membrane.Datapath.Writing;

/// <summary>
/// Several endpoints' updates made all or nothing (docs/datapath.md §9). The phases, each over every endpoint:
/// <list type="number">
/// <item><see cref="CheckCapacity"/>: the most entries the map will hold at any point is known before anything is
/// written, and a change that does not fit is refused whole (<see cref="MapFullException"/>).</item>
/// <item><see cref="WriteIdle"/>: every idle buffer is written, all deletes before all upserts, so the map frees
/// before it fills. Packets read none of it.</item>
/// <item><see cref="Switch"/>: each endpoint switches to its new buffer, one hash update each.</item>
/// <item><see cref="Sync"/>: the buffers left are brought to the new state, unseen by packets.</item>
/// </list>
/// A failure in the first two phases, or in the switch, is undone by <see cref="Abort"/> (switches back, then every
/// buffer written is restored to what it held), so every endpoint is back on its old state and the map holds exactly
/// what it held. The caller may do its own all-or-nothing work between the write and the switch (saving the change),
/// and calls <see cref="Abort"/> when that fails. Once switched, the change is made: a failure in the sync leaves a
/// buffer that no packet reads part way, which the writers know, and the next update writes what it lacks.
/// </summary>
public sealed class PolicyTransaction(IPolicyMapTarget target, PolicyMapBudget budget)
{
    private readonly List<PolicyUpdate> _updates = [];
    private readonly List<(PolicyUpdate Update, int Buffer, IReadOnlyDictionary<Layout.PolicyMapKey, Layout.PolicyMapValue> Before)> _written = [];
    private readonly List<(PolicyUpdate Update, Layout.EndpointConfig Before, bool WasInstalled)> _switched = [];
    private Phase _phase = Phase.Planning;

    private enum Phase
    {
        Planning,
        Written,
        Switched,
        Done,
        Aborted,
    }

    public IReadOnlyList<PolicyUpdate> Updates => _updates;

    /// <summary>How many entries the map will hold once the change is made.</summary>
    public long EntriesAfter => budget.InUse + _updates.Sum(u => (long)u.WriteGrowth + u.SyncGrowth);

    /// <summary>The most entries the map holds at any point of the change: after the writes, or at the end.</summary>
    public long PeakEntries => Math.Max(budget.InUse, Math.Max(budget.InUse + _updates.Sum(u => (long)u.WriteGrowth), EntriesAfter));

    public void Add(PolicyUpdate update)
    {
        Require(Phase.Planning, nameof(Add));
        if (!update.IsEmpty)
        {
            _updates.Add(update);
        }
    }

    /// <summary>Refuses the change, before anything is written, when its peak does not fit in the map.</summary>
    public void CheckCapacity()
    {
        if (PeakEntries > budget.Capacity)
        {
            throw new MapFullException(budget.Map, budget.Capacity, budget.InUse, PeakEntries);
        }
    }

    /// <summary>Writes every idle buffer: deletes first, then upserts. On a failure, undoes what it wrote and rethrows.</summary>
    public void WriteIdle()
    {
        Require(Phase.Planning, nameof(WriteIdle));
        CheckCapacity();
        foreach (var update in _updates)
        {
            var buffer = (int)(update.Switch!.Config.PolicyId & 1);
            _written.Add((update, buffer, update.Writer.Snapshot(buffer)));
        }

        _phase = Phase.Written;
        try
        {
            ApplyDeletesFirst(update => update.Write);
        }
        catch
        {
            Abort();
            throw;
        }
    }

    /// <summary>Switches every endpoint to its new buffer. On a failure, switches back and undoes the writes, and rethrows.</summary>
    public void Switch()
    {
        Require(Phase.Written, nameof(Switch));
        try
        {
            foreach (var update in _updates)
            {
                var (before, installed) = (update.Writer.Endpoint, update.Writer.Installed);
                update.Writer.Apply(update.Switch!, target);
                _switched.Add((update, before, installed));
            }

            _phase = Phase.Switched;
        }
        catch
        {
            Abort();
            throw;
        }
    }

    /// <summary>
    /// Brings the buffers left to the new state. The change is made whatever happens here: a failure is returned, not
    /// thrown (a buffer part way is one no packet reads, and its writer knows what it holds).
    /// </summary>
    public Exception? Sync()
    {
        Require(Phase.Switched, nameof(Sync));
        _phase = Phase.Done;
        try
        {
            ApplyDeletesFirst(update => update.Sync);
            return null;
        }
        catch (Exception e)
        {
            return e;
        }
    }

    /// <summary>All phases, for a caller with nothing to do between them; throws what <see cref="WriteIdle"/> or <see cref="Switch"/> throws.</summary>
    public Exception? Commit()
    {
        WriteIdle();
        Switch();
        return Sync();
    }

    /// <summary>
    /// Takes the change back before it is made: every endpoint switched is switched back to the configuration it had
    /// (or removed again, when this was its first), then every buffer written is restored, deletes of what was added
    /// first. Throws only when the map refuses the undo itself, which leaves each writer knowing what the map holds.
    /// </summary>
    public void Abort()
    {
        if (_phase == Phase.Aborted)
        {
            return; // WriteIdle or Switch took it back already
        }

        if (_phase == Phase.Done)
        {
            throw new InvalidOperationException("the transaction is done: it can no longer be aborted");
        }

        _phase = Phase.Aborted;
        var failures = new List<Exception>();
        foreach (var (update, before, installed) in Enumerable.Reverse(_switched))
        {
            Try(failures, () => update.Writer.Apply(installed
                ? new PolicyWriteStep.Switch(update.Writer.Ifindex, before)
                : new PolicyWriteStep.RemoveEndpoint(update.Writer.Ifindex), target));
        }

        // Deletes of what the writes added go first, across every buffer, so that the undo never needs more room than
        // the map had before the change.
        var undos = _written.Select(w => (w.Update.Writer, Steps: w.Update.Writer.PlanRestore(w.Buffer, w.Before))).ToList();
        foreach (var (writer, steps) in undos)
        {
            foreach (var step in steps.Where(s => s is PolicyWriteStep.Delete))
            {
                Try(failures, () => writer.Apply(step, target));
            }
        }

        foreach (var (writer, steps) in undos)
        {
            foreach (var step in steps.Where(s => s is not PolicyWriteStep.Delete))
            {
                Try(failures, () => writer.Apply(step, target));
            }
        }

        if (failures.Count > 0)
        {
            throw new AggregateException("undoing a policy change part way failed; each endpoint's writer knows what its buffers hold", failures);
        }
    }

    /// <summary>One part of every update: every delete of every endpoint before any upsert, so the map frees before it fills.</summary>
    private void ApplyDeletesFirst(Func<PolicyUpdate, IReadOnlyList<PolicyWriteStep>> part)
    {
        foreach (var update in _updates)
        {
            foreach (var step in part(update).Where(s => s is PolicyWriteStep.Delete))
            {
                update.Writer.Apply(step, target);
            }
        }

        foreach (var update in _updates)
        {
            foreach (var step in part(update).Where(s => s is not PolicyWriteStep.Delete))
            {
                update.Writer.Apply(step, target);
            }
        }
    }

    private static void Try(List<Exception> failures, Action action)
    {
        try
        {
            action();
        }
        catch (Exception e)
        {
            failures.Add(e);
        }
    }

    private void Require(Phase phase, string operation)
    {
        if (_phase != phase)
        {
            throw new InvalidOperationException($"{operation}: the transaction is {_phase.ToString().ToLowerInvariant()}, not {phase.ToString().ToLowerInvariant()}");
        }
    }
}
