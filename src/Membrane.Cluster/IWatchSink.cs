namespace Membrane.Cluster;

/// <summary>What a <see cref="PrefixWatcher"/> delivers, on its own task, one call at a time.</summary>
public interface IWatchSink
{
    /// <summary>Every key under the prefix at <paramref name="revision"/>: what was known before is replaced by this.</summary>
    void Reset(IReadOnlyList<Mvccpb.KeyValue> kvs, long revision);

    /// <summary>Changes after the last revision delivered, in order, ending at <paramref name="revision"/>.</summary>
    void Apply(IReadOnlyList<Mvccpb.Event> events, long revision);
}
