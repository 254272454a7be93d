using System.Collections.Immutable;
using Membrane.Policy.Engine.Rules;

namespace Membrane.Policy.Engine.Service;

/// <summary>
/// The policies a node holds, by resource, with a revision that counts every change. Each change
/// makes a new snapshot, replacing the old one whole, so a reader of <see cref="Rules"/> never sees
/// half a change.
/// </summary>
public sealed class PolicyRepository
{
    private ImmutableSortedDictionary<ResourceKey, PolicyResource> _resources =
        ImmutableSortedDictionary.Create<ResourceKey, PolicyResource>(Comparer<ResourceKey>.Create(static (a, b) => string.CompareOrdinal(a.ToString(), b.ToString())));

    /// <summary>0 before the first change; each change that alters the set of policies adds 1.</summary>
    public long Revision { get; private set; }

    public IReadOnlyCollection<PolicyResource> Resources => _resources.Values.ToList();

    /// <summary>Every compiled rule, in resource order.</summary>
    public ImmutableArray<SubjectRule> Rules { get; private set; } = [];

    public PolicyResource? this[ResourceKey key] => _resources.GetValueOrDefault(key);

    /// <summary>Puts and removes resources in one change; returns whether anything changed.</summary>
    public bool Apply(IEnumerable<PolicyResource> put, IEnumerable<ResourceKey> remove)
    {
        if (Next(put, remove) is not { } next)
        {
            return false;
        }

        _resources = next;
        Rules = [.. _resources.Values.SelectMany(r => r.Rules)];
        Revision++;
        return true;
    }

    /// <summary>The rules there would be after <see cref="Apply"/>, changing nothing; null when it would change nothing.</summary>
    public ImmutableArray<SubjectRule>? Preview(IEnumerable<PolicyResource> put, IEnumerable<ResourceKey> remove) =>
        Next(put, remove) is { } next ? [.. next.Values.SelectMany(r => r.Rules)] : null;

    private ImmutableSortedDictionary<ResourceKey, PolicyResource>? Next(IEnumerable<PolicyResource> put, IEnumerable<ResourceKey> remove)
    {
        var next = _resources.SetItems(put.Select(r => KeyValuePair.Create(r.Key, r))).RemoveRange(remove);
        // A document equal to the one held (positions aside) is no change: reloading a file does not bump the revision.
        var same = next.Count == _resources.Count &&
            next.All(kv => _resources.TryGetValue(kv.Key, out var old) && (ReferenceEquals(old, kv.Value) || old.Document.Equals(kv.Value.Document)));
        return same ? null : next;
    }

    /// <summary>
    /// Replaces every resource at once and sets the revision: an agent restarting puts back what it held, under the
    /// revision it had reached, so that revisions never go back and a user's "revision 7" means one thing.
    /// </summary>
    public void Restore(IEnumerable<PolicyResource> resources, long revision)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(revision);
        _resources = _resources.Clear().SetItems(resources.Select(r => KeyValuePair.Create(r.Key, r)));
        Rules = [.. _resources.Values.SelectMany(r => r.Rules)];
        Revision = revision;
    }
}
