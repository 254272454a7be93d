namespace Membrane.Cluster;

/// <summary>
/// How long to wait before trying etcd again: exponential from <see cref="Min"/> to <see cref="Max"/>, each wait drawn
/// at random up to the current bound ("full jitter"). Agents that lost etcd together must not come back together: an
/// etcd without a leader answers nobody, and a thousand agents retrying in step would keep it from recovering
/// (cilium#42977).
/// </summary>
public sealed class Backoff(TimeSpan min, TimeSpan max)
{
    private TimeSpan _bound = min;

    public Backoff() : this(TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10))
    {
    }

    public TimeSpan Min { get; } = min;

    public TimeSpan Max { get; } = max;

    /// <summary>The next wait, and the bound doubled for the one after.</summary>
    public TimeSpan Next()
    {
        var wait = Min + (_bound - Min) * Random.Shared.NextDouble();
        _bound = TimeSpan.FromTicks(Math.Min(Max.Ticks, _bound.Ticks * 2));
        return wait;
    }

    public Task DelayAsync(CancellationToken cancellation) => Task.Delay(Next(), cancellation);

    /// <summary>After a success: the next failure waits the least again.</summary>
    public void Reset() => _bound = Min;
}
