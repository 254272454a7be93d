using System.Threading.Channels;
using Membrane.Agent.Node;
using Membrane.Policy.Engine.Service;
using Microsoft.Extensions.Hosting;

namespace Membrane.Agent.Control;

/// <summary>
/// The one writer of the node's enforcement: every change (an endpoint made, deleted or relabelled, a namespace's
/// labels, a policy import or delete) is queued here and made by this hosted service, one at a time, in the order
/// they came. The callers wait for their change to be enforced (an API call returns once it is, as it always has),
/// up to a timeout that they report as such (<see cref="ChangeTimeoutException"/>).
/// <para>
/// Policy changes are validated and compiled by their callers, before they queue (<see cref="NodeAgent.StageImport"/>):
/// that work needs nothing of the node. Policy changes that queued up while another change was being made are then made
/// together, as one (<see cref="NodeAgent.CommitPolicies"/>): a burst of imports regenerates every endpoint once, not
/// once each. Each caller still gets its own answer: its own findings, and the revision the batch reached. A batch the
/// kernel refuses (it does not fit in the maps) is made again one change at a time, so that only the changes that do not
/// fit are refused.
/// </para>
/// <para>
/// It holds no lock that a reader needs: the monitor and the read-only API read the agent's published view.
/// </para>
/// </summary>
public sealed class Regenerator(IPolicyCommitter node) : BackgroundService
{
    /// <summary>The most policy changes made as one: a batch refused whole is made again one by one, which this bounds.</summary>
    public const int MaxBatch = 64;

    private readonly Channel<QueuedChange> _queue = Channel.CreateUnbounded<QueuedChange>(new UnboundedChannelOptions { SingleReader = true });
    private long _batches;
    private long _policyChanges;

    /// <summary>Policy changes made, and the batches they were made in: fewer batches than changes is coalescing at work.</summary>
    public (long Changes, long Batches) PolicyBatches => (Interlocked.Read(ref _policyChanges), Interlocked.Read(ref _batches));

    /// <summary>Makes <paramref name="change"/> after every change queued before it, and returns what it returned.</summary>
    public Task<T> RunAsync<T>(string what, Func<T> change, TimeSpan timeout, CancellationToken cancellation = default)
    {
        var queued = new QueuedChange(what, () => change()!, null);
        return WaitAsync<T>(queued, timeout, cancellation);
    }

    /// <summary>
    /// Makes a validated policy change, perhaps together with others queued with it. Its answer carries its own report,
    /// and the revision the change (or its batch) reached.
    /// </summary>
    public Task<PolicyChange> ChangePoliciesAsync(string what, StagedPolicyChange change, TimeSpan timeout, CancellationToken cancellation = default)
    {
        if (!change.Staged.IsValid)
        {
            throw new ArgumentException("only a valid change is queued; an invalid one is answered with its findings", nameof(change));
        }

        return WaitAsync<PolicyChange>(new QueuedChange(what, null, change), timeout, cancellation);
    }

    private async Task<T> WaitAsync<T>(QueuedChange queued, TimeSpan timeout, CancellationToken cancellation)
    {
        if (!_queue.Writer.TryWrite(queued))
        {
            throw new ObjectDisposedException(nameof(Regenerator), "the agent is stopping; no change is taken");
        }

        try
        {
            return (T)await queued.Done.Task.WaitAsync(timeout, cancellation);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException && !queued.Done.Task.IsCompleted)
        {
            // Dropped when it has not started (nothing of it is ever made); otherwise it runs to its end unwatched.
            var started = !queued.TryAbandon();
            if (e is TimeoutException)
            {
                throw new ChangeTimeoutException(queued.What, timeout, started);
            }

            throw;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The changes are synchronous (netlink, bpf()); they run on a thread of their own, not the pool's.
        await Task.Factory.StartNew(() => Run(stoppingToken), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private void Run(CancellationToken stopping)
    {
        var reader = _queue.Reader;
        try
        {
            while (reader.WaitToReadAsync(stopping).AsTask().GetAwaiter().GetResult())
            {
                // At a stop, the change being made completes; those still queued are refused (below), not started.
                while (!stopping.IsCancellationRequested && reader.TryRead(out var first))
                {
                    if (!first.TryStart())
                    {
                        continue;
                    }

                    if (first.Policy is null)
                    {
                        Complete(first, first.Change!);
                        continue;
                    }

                    var batch = new List<QueuedChange> { first };
                    while (batch.Count < MaxBatch && reader.TryPeek(out var next) && next.Policy is not null)
                    {
                        reader.TryRead(out _);
                        if (next.TryStart())
                        {
                            batch.Add(next);
                        }
                    }

                    CommitPolicies(batch);
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _queue.Writer.TryComplete();
            while (reader.TryRead(out var left))
            {
                if (left.TryStart())
                {
                    left.Done.TrySetException(new ObjectDisposedException(nameof(Regenerator), "the agent stopped before this change was made: nothing of it was made"));
                }
            }
        }
    }

    private void CommitPolicies(List<QueuedChange> batch)
    {
        Interlocked.Add(ref _policyChanges, batch.Count);
        Interlocked.Increment(ref _batches);
        try
        {
            var made = node.CommitPolicies([.. batch.Select(q => q.Policy!)]);
            foreach (var queued in batch)
            {
                queued.Done.TrySetResult(made with { Report = queued.Policy!.Staged.Report });
            }
        }
        catch (Exception) when (batch.Count > 1)
        {
            // Refused whole (taken back whole): each change is made alone, in order, for its own answer.
            foreach (var queued in batch)
            {
                Interlocked.Increment(ref _batches);
                Complete(queued, () => node.CommitPolicies([queued.Policy!]) with { Report = queued.Policy!.Staged.Report });
            }
        }
        catch (Exception e)
        {
            batch[0].Done.TrySetException(e);
        }
    }

    private static void Complete(QueuedChange queued, Func<object> change)
    {
        try
        {
            queued.Done.TrySetResult(change());
        }
        catch (Exception e)
        {
            queued.Done.TrySetException(e);
        }
    }

    /// <summary>A change waiting: a piece of work, or a policy change that may be made with others.</summary>
    private sealed class QueuedChange(string what, Func<object>? change, StagedPolicyChange? policy)
    {
        private const int Queued = 0, Started = 1, Abandoned = 2;
        private int _state;

        public string What { get; } = what;

        public Func<object>? Change { get; } = change;

        public StagedPolicyChange? Policy { get; } = policy;

        public TaskCompletionSource<object> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public bool TryStart() => Interlocked.CompareExchange(ref _state, Started, Queued) == Queued;

        public bool TryAbandon() => Interlocked.CompareExchange(ref _state, Abandoned, Queued) == Queued;
    }
}
