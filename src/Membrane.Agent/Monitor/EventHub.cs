using System.Diagnostics;
using System.Threading.Channels;
using Membrane.Api;
using Membrane.Bpf.Maps;
using Membrane.Bpf.RingBuffer;
using Membrane.Datapath;
using Membrane.Datapath.Events;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Ebpf.Loading;

namespace Membrane.Agent.Monitor;

/// <summary>
/// Reads the datapath's ring buffer once, for every monitor: each event is decoded, given the names and labels of
/// its endpoints, and offered to every subscriber. A subscriber that does not keep up loses its oldest events, never
/// the agent's memory or the other subscribers'. Once a second it also reports how many events the datapath's token
/// bucket suppressed since the last report, so that a flood shows as a count rather than as silence.
/// A hosted service: it starts reading when the host starts it (after the node agent, whose datapath it reads) and
/// stops when the host stops; constructing it touches nothing.
/// </summary>
public sealed class EventHub : Microsoft.Extensions.Hosting.IHostedService, IDisposable
{
    private const int SubscriberCapacity = 4096;

    private readonly Func<LoadedDatapath> _datapathOf;
    private readonly Func<uint, MonitorPeer?> _endpoint;
    private readonly Func<uint, MonitorPeer> _peer;
    private readonly List<Channel<MonitorEvent>> _subscribers = [];
    private readonly Lock _lock = new();
    private readonly CancellationTokenSource _stopping = new();
    private LoadedDatapath _datapath = null!;
    private RingBufferReader? _reader;
    private Task _reading = Task.CompletedTask;
    private Task _counting = Task.CompletedTask;

    /// <param name="datapath">The node's datapath, once the node agent has started.</param>
    /// <param name="endpoint">The endpoint with a datapath endpoint id, or null.</param>
    /// <param name="peer">Any identity's labels (and name, when it is an endpoint's).</param>
    public EventHub(Func<LoadedDatapath> datapath, Func<uint, MonitorPeer?> endpoint, Func<uint, MonitorPeer> peer)
    {
        _datapathOf = datapath;
        _endpoint = endpoint;
        _peer = peer;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _datapath = _datapathOf();
            _reader = new RingBufferReader(_datapath.Events);
            EmitAllowEvents(false); // an agent stopped with monitors attached may have left them on
            _reading = Task.Run(ReadAsync, CancellationToken.None);
            _counting = Task.Run(CountSuppressedAsync, CancellationToken.None);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Stop();
        return Task.CompletedTask;
    }

    /// <summary>Events from now on, until <paramref name="cancellation"/>.</summary>
    public async IAsyncEnumerable<MonitorEvent> Subscribe([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation)
    {
        var channel = Channel.CreateBounded<MonitorEvent>(new BoundedChannelOptions(SubscriberCapacity) { FullMode = BoundedChannelFullMode.DropOldest });
        lock (_lock)
        {
            if (_reader is null || _stopping.IsCancellationRequested)
            {
                throw new InvalidOperationException("the monitor is not running");
            }

            _subscribers.Add(channel);
            if (_subscribers.Count == 1)
            {
                EmitAllowEvents(true);
            }
        }

        try
        {
            await foreach (var monitored in channel.Reader.ReadAllAsync(cancellation))
            {
                yield return monitored;
            }
        }
        finally
        {
            lock (_lock)
            {
                _subscribers.Remove(channel);
                if (_subscribers.Count == 0)
                {
                    EmitAllowEvents(false);
                }
            }
        }
    }

    /// <summary>
    /// Policy-verdict events for allowed new flows are sent only while someone watches, as Cilium's monitor does:
    /// drops are always sent, but an allow per new flow is work (and ring-buffer room) that nobody would read. The
    /// token bucket bounds them either way.
    /// </summary>
    private void EmitAllowEvents(bool on)
    {
        var config = _datapath.GetConfig();
        _datapath.SetConfig(config with
        {
            Flags = on ? config.Flags | DatapathConfig.FlagEmitAllowEvents : config.Flags & ~DatapathConfig.FlagEmitAllowEvents,
        });
    }

    public void Dispose()
    {
        Stop();
        _stopping.Dispose();
    }

    private void Stop()
    {
        if (_stopping.IsCancellationRequested)
        {
            return;
        }

        _stopping.Cancel();
        _reader?.Dispose(); // ends ReadAllAsync
        try
        {
            Task.WaitAll([_reading, _counting], TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
        }

        lock (_lock)
        {
            _subscribers.ForEach(s => s.Writer.TryComplete());
        }
    }

    private async Task ReadAsync()
    {
        var buffer = new byte[256];
        try
        {
            await foreach (var record in _reader!.ReadAllAsync(buffer, _stopping.Token))
            {
                if (EventDecoder.TryDecode(record.Span, out var decoded))
                {
                    Publish(ToMonitorEvent(decoded));
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task CountSuppressedAsync()
    {
        ulong reported = Suppressed();
        try
        {
            while (!_stopping.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _stopping.Token);
                var now = Suppressed();
                if (now > reported)
                {
                    var count = (long)(now - reported);
                    Publish(new MonitorEvent(DateTimeOffset.UtcNow, MonitorEvent.TypeSuppressed, "-", "rate limited", "-", "-", null, null, null,
                        null, null, null, null, null, null, false, $"{count} events suppressed by the datapath's rate limit", count));
                    reported = now;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private ulong Suppressed()
    {
        Span<ulong> values = stackalloc ulong[BpfMap.PossibleCpuCount];
        ulong total = 0;
        if (_datapath.Counters.TryLookupPerCpu((uint)DatapathConstants.CounterEventsSuppressed, values))
        {
            foreach (var value in values)
            {
                total += value;
            }
        }

        return total;
    }

    private void Publish(MonitorEvent monitored)
    {
        lock (_lock)
        {
            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryWrite(monitored);
            }
        }
    }

    private MonitorEvent ToMonitorEvent(DatapathEvent e)
    {
        // The event's clock is CLOCK_MONOTONIC (bpf_ktime_get_ns), as is Stopwatch's on Linux.
        var age = TimeSpan.FromTicks((long)((ulong)Stopwatch.GetTimestamp() - e.Timestamp) / 100);
        var endpoint = _endpoint(e.EndpointId) ?? new MonitorPeer(e.EndpointIdentity, null, null, []);
        var peer = e.PeerIdentity == 0 ? new MonitorPeer(0, null, null, []) : _peer(e.PeerIdentity);
        var (source, destination) = e.Direction == DatapathConstants.DirectionEgress ? (endpoint, peer) : (peer, endpoint);
        var ports = e.Protocol is Policy.Values.IpProtocols.Tcp or Policy.Values.IpProtocols.Udp or Policy.Values.IpProtocols.Sctp;
        return new MonitorEvent(
            DateTimeOffset.UtcNow - age,
            e.Kind == EventKind.Drop ? MonitorEvent.TypeDrop : MonitorEvent.TypePolicyVerdict,
            e.IsDrop ? "DROPPED" : "FORWARDED",
            e.ReasonText,
            e.DirectionName,
            e.ProtocolName,
            e.IsIcmp ? e.IcmpType : null,
            e.IsIcmp ? e.IcmpCode : null,
            e.IcmpTypeName,
            e.Source?.ToString(),
            e.Destination?.ToString(),
            ports ? e.SourcePort : null,
            ports ? e.DestinationPort : null,
            source,
            destination,
            e.Reason == VerdictReason.Reply,
            Summary(e, source, destination));
    }

    private static string Summary(DatapathEvent e, MonitorPeer source, MonitorPeer destination)
    {
        var line = e.ToString();
        var names = source.Name is not null || destination.Name is not null ? $"  ({source.Name ?? "-"} -> {destination.Name ?? "-"})" : "";
        return line + names;
    }
}
