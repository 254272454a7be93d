using Membrane.Agent.Node;
using Membrane.Bpf.Maps;
using Membrane.Datapath;
using Membrane.Datapath.Layout;
using Prometheus;

namespace Membrane.Agent.Metrics;

/// <summary>
/// The agent's Prometheus metrics. The datapath's per-CPU counters are read when Prometheus scrapes, summed over
/// CPUs, so the figures are the kernel's own and cost nothing between scrapes: verdicts by reason, direction and
/// protocol (drops are the reasons from 16 up), events the rate limit suppressed or the ring buffer lost, and how full
/// conntrack is; beside them the policy revision, the endpoint count, and how long regenerations take.
/// </summary>
public sealed class AgentMetrics
{
    private static readonly string[] Protocols = ["other", "tcp", "udp", "sctp", "icmp", "icmpv6", "not-ip", "unused"];

    private readonly CollectorRegistry _registry = Prometheus.Metrics.NewCustomRegistry();
    private readonly NodeAgent _agent;
    private readonly Gauge _verdicts;
    private readonly Gauge _drops;
    private readonly Gauge _suppressed;
    private readonly Gauge _lost;
    private readonly Gauge _revision;
    private readonly Gauge _endpoints;
    private readonly Gauge _conntrack;

    public AgentMetrics(NodeAgent agent)
    {
        _agent = agent;
        var factory = Prometheus.Metrics.WithCustomRegistry(_registry);

        // Gauges set from the kernel's counters at each scrape: they only grow, as counters do, but their value is the
        // kernel's, not one this process counted.
        _verdicts = factory.CreateGauge("membrane_datapath_verdicts_total", "Packets the datapath decided, by reason, direction and protocol.",
            "reason", "direction", "protocol");
        _drops = factory.CreateGauge("membrane_datapath_drops_total", "Packets the datapath dropped, by reason.", "reason");
        _suppressed = factory.CreateGauge("membrane_datapath_events_suppressed_total", "Events the datapath's token bucket did not send.");
        _lost = factory.CreateGauge("membrane_datapath_events_lost_total", "Events the ring buffer had no room for.");
        _revision = factory.CreateGauge("membrane_policy_revision", "The policy repository's revision.");
        _endpoints = factory.CreateGauge("membrane_endpoints", "Endpoints the agent manages.");
        _conntrack = factory.CreateGauge("membrane_conntrack_entries", "Entries in the conntrack map (its size bounds it).");
        var regeneration = factory.CreateHistogram("membrane_regeneration_seconds", "How long bringing every endpoint's maps to its state took.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) });
        agent.Regenerated += elapsed => regeneration.Observe(elapsed.TotalSeconds);
        _registry.AddBeforeCollectCallback(Collect);
    }

    public CollectorRegistry Registry => _registry;

    private void Collect()
    {
        Span<ulong> perCpu = stackalloc ulong[BpfMap.PossibleCpuCount];
        var drops = new Dictionary<VerdictReason, double>();
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
                    var value = Read(ProtocolClassExtensions.CounterSlot((VerdictReason)reason, direction, (ProtocolClass)protocol), perCpu);
                    var name = Name((VerdictReason)reason);
                    _verdicts.WithLabels(name, direction == DatapathConstants.DirectionEgress ? "egress" : "ingress", Protocols[protocol]).Set(value);
                    if (((VerdictReason)reason).IsDrop())
                    {
                        drops[(VerdictReason)reason] = drops.GetValueOrDefault((VerdictReason)reason) + value;
                    }
                }
            }
        }

        foreach (var (reason, value) in drops)
        {
            _drops.WithLabels(Name(reason)).Set(value);
        }

        _suppressed.Set(Read(DatapathConstants.CounterEventsSuppressed, perCpu));
        _lost.Set(Read(DatapathConstants.CounterEventsLost, perCpu));
        _revision.Set(_agent.Policies.Revision);
        _endpoints.Set(_agent.Endpoints.Count);
        _conntrack.Set(CountConntrack());
    }

    /// <summary>Counts conntrack entries with batch lookups: a full map is 262,144 entries, one syscall each would take a
    /// scrape most of a second.</summary>
    private int CountConntrack()
    {
        var cursor = new MapBatchCursor();
        var keys = new ConntrackKey[4096];
        var values = new ConntrackEntry[4096];
        var count = 0;
        while (!cursor.IsComplete)
        {
            count += _agent.Datapath.Conntrack.LookupBatch<ConntrackKey, ConntrackEntry>(cursor, keys, values);
        }

        return count;
    }

    private double Read(int slot, Span<ulong> perCpu)
    {
        if (!_agent.Datapath.Counters.TryLookupPerCpu((uint)slot, perCpu))
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

    private static string Name(VerdictReason reason) => reason.Describe().Replace(' ', '_');
}
