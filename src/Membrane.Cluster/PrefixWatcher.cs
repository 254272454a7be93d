using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;

namespace Membrane.Cluster;

/// <summary>
/// Follows every key under a prefix: a full listing first (<see cref="IWatchSink.Reset"/>), then the changes after its
/// revision as etcd's watch sends them (<see cref="IWatchSink.Apply"/>), in revision order. A watch that breaks (etcd
/// out of reach, its member without a leader) is made again from the last revision seen, after a backoff with jitter,
/// so nothing is missed and nothing is applied twice; when that revision has been compacted away, the prefix is
/// listed again whole. The watch asks etcd to end it when its member loses the leader (the <c>hasleader</c> metadata),
/// so an agent never waits on a member that cannot answer.
/// </summary>
public sealed class PrefixWatcher(EtcdConnection etcd, string prefix, IWatchSink sink)
{
    private long _revision;
    private long _requests;
    private long _relists;
    private volatile bool _connected;

    /// <summary>The last revision applied; 0 before the first listing.</summary>
    public long Revision => Interlocked.Read(ref _revision);

    /// <summary>Whether the watch is established now.</summary>
    public bool Connected => _connected;

    /// <summary>Requests made to etcd (listings, and watches opened): a test counts them while etcd has no quorum.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Full listings made because the revision was compacted (or at the first start).</summary>
    public long Listings => Interlocked.Read(ref _relists);

    /// <summary>Raised when the watch breaks, with why (the caller logs it).</summary>
    public event Action<string>? Broken;

    public Backoff Backoff { get; init; } = new();

    public async Task RunAsync(CancellationToken stopping)
    {
        var key = ByteString.CopyFromUtf8(prefix);
        var end = ByteString.CopyFrom(EtcdConnection.PrefixEnd(prefix));
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (Revision == 0)
                {
                    Interlocked.Increment(ref _requests);
                    Interlocked.Increment(ref _relists);
                    var (kvs, revision) = await etcd.ListAsync(prefix, stopping);
                    sink.Reset(kvs, revision);
                    Interlocked.Exchange(ref _revision, revision);
                }

                Interlocked.Increment(ref _requests);
                using var call = etcd.Watches.Watch(new Metadata { { "hasleader", "true" } }, cancellationToken: stopping);
                await call.RequestStream.WriteAsync(new WatchRequest
                {
                    CreateRequest = new WatchCreateRequest { Key = key, RangeEnd = end, StartRevision = Revision + 1, ProgressNotify = true },
                }, stopping);
                string? why = null;
                while (await call.ResponseStream.MoveNext(stopping))
                {
                    var response = call.ResponseStream.Current;
                    if (response.CompactRevision > 0)
                    {
                        // What was missed is compacted away: list again, whole.
                        Interlocked.Exchange(ref _revision, 0);
                        why = $"revision {Revision} was compacted (etcd keeps from {response.CompactRevision}); listing again";
                        break;
                    }

                    if (response.Canceled)
                    {
                        why = $"etcd ended the watch: {response.CancelReason}";
                        break;
                    }

                    if (response.Created)
                    {
                        _connected = true;
                        Backoff.Reset();
                        continue;
                    }

                    if (response.Events.Count > 0)
                    {
                        sink.Apply(response.Events, response.Header.Revision);
                    }

                    if (response.Header.Revision > Revision)
                    {
                        Interlocked.Exchange(ref _revision, response.Header.Revision);
                    }
                }

                _connected = false;
                Broken?.Invoke(why ?? "etcd closed the watch");
                if (why is not null && Revision == 0)
                {
                    continue; // a compaction: list at once
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RpcException or EtcdUnavailableException or IOException)
            {
                _connected = false;
                Broken?.Invoke(e is RpcException rpc ? EtcdConnection.Describe(rpc) : e.Message);
            }

            try
            {
                await Backoff.DelayAsync(stopping);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
