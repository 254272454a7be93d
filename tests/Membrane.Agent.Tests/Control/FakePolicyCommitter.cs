using System.Collections.Concurrent;
using System.Collections.Immutable;
using Membrane.Agent.Control;
using Membrane.Agent.Node;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Service;
using Membrane.Policy.Validation;

namespace Membrane.Agent.Tests.Control;

/// <summary>
/// A node for the regenerator's tests: it records the batches it is given, can be held inside a commit (so that
/// changes queue up behind it), and refuses any batch holding a change named in <see cref="Refuse"/>, as the kernel
/// refuses a change that does not fit. Its revision counts the batches it made.
/// </summary>
internal sealed class FakePolicyCommitter : IPolicyCommitter
{
    private long _revision;

    public ConcurrentQueue<IReadOnlyList<string>> Batches { get; } = new();

    public ManualResetEventSlim Gate { get; } = new(true);

    public SemaphoreSlim Entered { get; } = new(0);

    public HashSet<string> Refuse { get; } = [];

    public PolicyChange CommitPolicies(IReadOnlyList<StagedPolicyChange> batch)
    {
        var names = batch.Select(NameOf).ToList();
        Entered.Release();
        Gate.Wait(TimeSpan.FromSeconds(30));
        Batches.Enqueue(names);
        if (names.Any(Refuse.Contains))
        {
            throw new InvalidOperationException($"refused: {string.Join(",", names.Where(Refuse.Contains))}");
        }

        return new PolicyChange(new ValidationReport([]), Applied: true, Interlocked.Increment(ref _revision), ImmutableDictionary<uint, MapStateDelta>.Empty);
    }

    /// <summary>A change that stands for <paramref name="name"/> (its one removed key carries the name).</summary>
    public static StagedPolicyChange Change(string name) => StagedPolicyChange.Delete([new ResourceKey(Membrane.Policy.Model.PolicyKind.NetworkPolicy, "test", name)]);

    private static string NameOf(StagedPolicyChange change) => change.Staged.Remove[0].Name;
}
