using Membrane.Bpf.Maps;
using Membrane.Datapath;
using Membrane.Datapath.Ebpf.Loading;
using Membrane.Datapath.Layout;

namespace Membrane.Agent.Metrics;

/// <summary>
/// The datapath's counters at one moment, summed over CPUs: every verdict by reason, direction and protocol, the
/// events the token bucket suppressed and the ring buffer lost, and the conntrack entries. The metrics and
/// <c>membrane status</c> both read them here.
/// </summary>
public sealed record DatapathCounters(
    IReadOnlyDictionary<(VerdictReason Reason, byte Direction, ProtocolClass Protocol), ulong> Verdicts,
    ulong EventsSuppressed,
    ulong EventsLost,
    int ConntrackEntries)
{
    public ulong Forwarded => Verdicts.Where(v => !v.Key.Reason.IsDrop()).Aggregate(0ul, (sum, v) => sum + v.Value);

    public IReadOnlyDictionary<VerdictReason, ulong> DropsByReason => Verdicts.Where(v => v.Key.Reason.IsDrop())
        .GroupBy(v => v.Key.Reason).ToDictionary(g => g.Key, g => g.Aggregate(0ul, (sum, v) => sum + v.Value));

    public static DatapathCounters Read(LoadedDatapath datapath)
    {
        var perCpu = new ulong[BpfMap.PossibleCpuCount];
        var verdicts = new Dictionary<(VerdictReason, byte, ProtocolClass), ulong>();
        for (var reason = 1; reason < DatapathConstants.ReasonSlots; reason++)
        {
            if (!Enum.IsDefined((VerdictReason)reason))
            {
                continue;
            }

            for (byte direction = 0; direction < 2; direction++)
            {
                for (var protocol = 0; protocol < DatapathConstants.ProtocolClasses - 1; protocol++)
                {
                    verdicts[((VerdictReason)reason, direction, (ProtocolClass)protocol)] =
                        Slot(datapath, ProtocolClassExtensions.CounterSlot((VerdictReason)reason, direction, (ProtocolClass)protocol), perCpu);
                }
            }
        }

        return new DatapathCounters(verdicts, Slot(datapath, DatapathConstants.CounterEventsSuppressed, perCpu),
            Slot(datapath, DatapathConstants.CounterEventsLost, perCpu), CountConntrack(datapath));
    }

    /// <summary>Counts conntrack entries with batch lookups: a full map is 262,144 entries, one syscall each would take a
    /// scrape most of a second.</summary>
    private static int CountConntrack(LoadedDatapath datapath)
    {
        var cursor = new MapBatchCursor();
        var keys = new ConntrackKey[4096];
        var values = new ConntrackEntry[4096];
        var count = 0;
        while (!cursor.IsComplete)
        {
            count += datapath.Conntrack.LookupBatch<ConntrackKey, ConntrackEntry>(cursor, keys, values);
        }

        return count;
    }

    private static ulong Slot(LoadedDatapath datapath, int slot, ulong[] perCpu)
    {
        if (!datapath.Counters.TryLookupPerCpu((uint)slot, perCpu.AsSpan()))
        {
            return 0;
        }

        ulong total = 0;
        foreach (var value in perCpu)
        {
            total += value;
        }

        return total;
    }
}
