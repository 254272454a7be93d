using Membrane.Datapath.Ebpf.Loading;

namespace Membrane.Agent.Hosting;

/// <summary>
/// What the agent's pin checks found (every <see cref="AgentHostOptions.PinCheckInterval"/>, and at stop): how many
/// pins were made again since the agent started and when the last was, and the pins it cannot make now. Read by the
/// status call and the metrics from their own threads.
/// </summary>
public sealed class PinWatch
{
    private readonly Lock _lock = new();
    private int _repinned;
    private DateTimeOffset? _lastRepin;
    private IReadOnlyList<string> _problems = [];

    /// <summary>Records one check; returns the repairs made and the problems found, for the log.</summary>
    public void Record(IReadOnlyList<PinRepair> check)
    {
        lock (_lock)
        {
            var repinned = check.Count(r => r.Repinned);
            _repinned += repinned;
            if (repinned > 0)
            {
                _lastRepin = DateTimeOffset.UtcNow;
            }

            _problems = [.. check.Where(r => !r.Repinned).Select(r => r.ToString())];
        }
    }

    public (int Repinned, DateTimeOffset? LastRepin, IReadOnlyList<string> Problems) Read()
    {
        lock (_lock)
        {
            return (_repinned, _lastRepin, _problems);
        }
    }
}
