using Membrane.Datapath.Layout;

namespace Membrane.Datapath.Writing;

/// <summary>
/// Keeps the ipcache equal to what the node's identities say (<see cref="Encoding.IpcacheEncoder.Encode"/>), and knows
/// what it holds: each operation is recorded once the map took it, so the writer's view is the map's whatever fails.
/// A change of identities is applied in two halves around the endpoints' policy switch, so that the ipcache never
/// names an identity that the live policy states do not know (a packet with an identity its endpoint's state has never
/// heard of would be judged by "any identity" entries alone, which can allow what both the old and the new state
/// deny): <see cref="RemoveStale"/> before the switch takes away entries that go or change (an address falls back to a
/// shorter prefix or world, which both states know), and <see cref="AddMissing"/> after it adds the new ones.
/// </summary>
public sealed class IpcacheWriter(IIpcacheTarget target)
{
    private readonly Dictionary<IpcacheKey, IpcacheValue> _entries = [];

    /// <summary>What the map holds, as far as this writer wrote it or found it.</summary>
    public IReadOnlyDictionary<IpcacheKey, IpcacheValue> Entries => _entries;

    /// <summary>Takes what the map holds already (an agent restarting) as the writer's view, writing nothing.</summary>
    public void Adopt(IEnumerable<KeyValuePair<IpcacheKey, IpcacheValue>> found)
    {
        foreach (var (key, value) in found)
        {
            _entries[key] = value;
        }
    }

    /// <summary>Entries held that <paramref name="desired"/> does not have, or has with another identity.</summary>
    public IReadOnlyList<IpcacheKey> Stale(IReadOnlyDictionary<IpcacheKey, IpcacheValue> desired) =>
        [.. _entries.Where(e => !desired.TryGetValue(e.Key, out var wanted) || wanted != e.Value).Select(e => e.Key)];

    /// <summary>Entries <paramref name="desired"/> has that the map does not hold as such.</summary>
    public IReadOnlyList<KeyValuePair<IpcacheKey, IpcacheValue>> Missing(IReadOnlyDictionary<IpcacheKey, IpcacheValue> desired) =>
        [.. desired.Where(e => !_entries.TryGetValue(e.Key, out var held) || held != e.Value)];

    /// <summary>
    /// Deletes the stale entries; returns what they held, for <see cref="Restore"/> to put back. With
    /// <paramref name="keepChanged"/>, an entry that changes identity is left for <see cref="AddMissing"/> to overwrite
    /// after the switch, in one map update: right only when the states before and after the switch both know the old
    /// identity and the new one (an endpoint's addresses moving to its new identity when its labels change), where
    /// removing it first would make the address world, or a wider prefix's, for a moment.
    /// </summary>
    public IReadOnlyList<KeyValuePair<IpcacheKey, IpcacheValue>> RemoveStale(IReadOnlyDictionary<IpcacheKey, IpcacheValue> desired, bool keepChanged = false)
    {
        var removed = new List<KeyValuePair<IpcacheKey, IpcacheValue>>();
        foreach (var key in Stale(desired).Where(k => !keepChanged || !desired.ContainsKey(k)))
        {
            var value = _entries[key];
            Delete(key);
            removed.Add(KeyValuePair.Create(key, value));
        }

        return removed;
    }

    public void AddMissing(IReadOnlyDictionary<IpcacheKey, IpcacheValue> desired)
    {
        foreach (var (key, value) in Missing(desired))
        {
            Upsert(key, value);
        }
    }

    /// <summary>Puts back entries <see cref="RemoveStale"/> took away (a change taken back).</summary>
    public void Restore(IEnumerable<KeyValuePair<IpcacheKey, IpcacheValue>> removed)
    {
        foreach (var (key, value) in removed)
        {
            Upsert(key, value);
        }
    }

    public void Upsert(in IpcacheKey key, in IpcacheValue value)
    {
        target.UpsertIpcache(key, value);
        _entries[key] = value;
    }

    public void Delete(in IpcacheKey key)
    {
        target.DeleteIpcache(key);
        _entries.Remove(key);
    }
}
