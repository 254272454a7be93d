using Membrane.Agent.Node;
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
    private readonly Gauge _conntrackCapacity;
    private readonly Gauge _policyEntries;
    private readonly Gauge _policyCapacity;
    private readonly Gauge _pinsRepinned;
    private readonly Gauge _pinsFailing;
    private readonly Gauge _policyChanges;
    private readonly Gauge _policyBatches;
    private readonly Hosting.PinWatch _pins;
    private readonly Control.Regenerator? _regenerator;

    public AgentMetrics(NodeAgent agent, Hosting.PinWatch pins, Control.Regenerator? regenerator = null, Cluster.ClusterMember? cluster = null)
    {
        _agent = agent;
        _cluster = cluster;
        _pins = pins;
        _regenerator = regenerator;
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
        _conntrackCapacity = factory.CreateGauge("membrane_conntrack_capacity", "Entries the conntrack map holds at most (an LRU: when full, the least recently used goes).");
        _policyEntries = factory.CreateGauge("membrane_policy_map_entries", "Entries the endpoints hold in the policy map (two buffers each).");
        _policyCapacity = factory.CreateGauge("membrane_policy_map_capacity", "Entries the policy map holds at most; a change that would need more is refused whole.");
        _pinsRepinned = factory.CreateGauge("membrane_pins_repinned_total", "Pins removed from outside and made again since the agent started.");
        _pinsFailing = factory.CreateGauge("membrane_pins_failing", "Pins that are missing and cannot be made now (their endpoints fail closed if the agent stops).");
        _policyChanges = factory.CreateGauge("membrane_policy_changes_total", "Policy imports and deletes the regenerator made.");
        _policyBatches = factory.CreateGauge("membrane_policy_batches_total",
            "Batches those changes were made in: changes that queued up together are made as one, regenerating every endpoint once.");
        var regeneration = factory.CreateHistogram("membrane_regeneration_seconds", "How long bringing every endpoint's maps to its state took.",
            new HistogramConfiguration { Buckets = Histogram.ExponentialBuckets(0.0005, 2, 14) });
        agent.Regenerated += elapsed => regeneration.Observe(elapsed.TotalSeconds);
        var drift = factory.CreateCounter("membrane_drift_repaired_total",
            "Entries of the kernel's maps that differed from what the agent wrote, found by the resync and put back, by map.",
            new CounterConfiguration { LabelNames = ["map"] });
        agent.DriftRepaired += report =>
        {
            drift.WithLabels("endpoints").Inc(report.EndpointConfigs);
            drift.WithLabels("policy").Inc(report.PolicyEntries);
            drift.WithLabels("ipcache").Inc(report.IpcacheEntries);
        };
        if (cluster is not null)
        {
            _clusterConnected = factory.CreateGauge("membrane_cluster_connected", "1 while the watch of etcd is established, 0 while etcd is out of reach.");
            _clusterRevision = factory.CreateGauge("membrane_cluster_applied_revision", "The etcd revision whose endpoints and policies the node enforces.");
            _clusterBadData = factory.CreateGauge("membrane_cluster_bad_data_total", "Keys in etcd that did not decode, and entries the node refused, skipped since the start.");
            _clusterRemote = factory.CreateGauge("membrane_cluster_remote_endpoints", "Other nodes' endpoint addresses in the ipcache.");
            _clusterWrites = factory.CreateGauge("membrane_cluster_publish_writes_total", "Transactions the node wrote to publish its endpoints.");
            _clusterRequests = factory.CreateGauge("membrane_cluster_etcd_requests_total", "Calls the agent started against etcd (requests, and streams opened), counted by the agent.");
        }

        _registry.AddBeforeCollectCallback(Collect);
    }

    private readonly Cluster.ClusterMember? _cluster;
    private readonly Gauge? _clusterConnected, _clusterRevision, _clusterBadData, _clusterRemote, _clusterWrites, _clusterRequests;

    public CollectorRegistry Registry => _registry;

    private void Collect()
    {
        var counters = DatapathCounters.Read(_agent.Datapath);
        foreach (var ((reason, direction, protocol), value) in counters.Verdicts)
        {
            _verdicts.WithLabels(Name(reason), direction == DatapathConstants.DirectionEgress ? "egress" : "ingress", Protocols[(int)protocol]).Set(value);
        }

        foreach (var (reason, value) in counters.DropsByReason)
        {
            _drops.WithLabels(Name(reason)).Set(value);
        }

        _suppressed.Set(counters.EventsSuppressed);
        _lost.Set(counters.EventsLost);
        _revision.Set(_agent.PolicySnapshot.Revision);
        _endpoints.Set(_agent.Endpoints.Count);
        _conntrack.Set(counters.ConntrackEntries);
        _conntrackCapacity.Set(_agent.Datapath.Conntrack.Spec.MaxEntries);
        var policyMap = _agent.PolicyMapUsage;
        _policyEntries.Set(policyMap.InUse);
        _policyCapacity.Set(policyMap.Capacity);
        var (repinned, _, problems) = _pins.Read();
        _pinsRepinned.Set(repinned);
        _pinsFailing.Set(problems.Count);
        if (_cluster is not null)
        {
            _clusterConnected!.Set(_cluster.Connected ? 1 : 0);
            _clusterRevision!.Set(_cluster.AppliedRevision);
            _clusterBadData!.Set(_cluster.BadData);
            _clusterRemote!.Set(_agent.RemoteEndpoints.Count);
            _clusterWrites!.Set(_cluster.PublishWrites);
            _clusterRequests!.Set(_cluster.EtcdRequests);
        }

        if (_regenerator is not null)
        {
            var (changes, batches) = _regenerator.PolicyBatches;
            _policyChanges.Set(changes);
            _policyBatches.Set(batches);
        }
    }

    /// <summary>A reason as a label value: <c>denied_by_default</c>, <c>invalid_source_ip</c>.</summary>
    public static string Name(VerdictReason reason) => reason.Describe().Replace(' ', '_').ToLowerInvariant();
}
