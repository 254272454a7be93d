using Etcdserverpb;
using Grpc.Core;

namespace Membrane.Cluster;

/// <summary>
/// A node's lease: everything the node announces (its record, its endpoints' addresses, its references to identities)
/// is put under it, so that when the node's agent dies etcd withdraws it all once the lease's TTL passes without a
/// renewal. Renewed every third of the TTL over one keep-alive stream. A lease that expired (etcd was out of reach
/// longer than the TTL) is replaced by a new one, and <see cref="Granted"/> tells the owner to put everything again.
/// An agent restarted within the TTL takes its old lease back (<see cref="RunAsync"/>'s <c>existing</c>), so that
/// nothing it announced is withdrawn meanwhile.
/// </summary>
public sealed class NodeLease(EtcdConnection etcd, TimeSpan ttl)
{
    private long _id;

    public TimeSpan Ttl { get; } = ttl >= TimeSpan.FromSeconds(2) ? ttl : throw new ArgumentOutOfRangeException(nameof(ttl), "a lease lives at least 2 s");

    /// <summary>The lease now; 0 while the node has none (before the first grant, or after one expired).</summary>
    public long Id => Interlocked.Read(ref _id);

    /// <summary>Raised with the new lease's id when one is granted (not when an existing lease is taken back).</summary>
    public event Action<long>? Granted;

    /// <summary>Raised when the lease is found expired: what was under it is gone from etcd.</summary>
    public event Action? Lost;

    /// <summary>Renewals that etcd answered; a test counts them.</summary>
    public long Renewals => Interlocked.Read(ref _renewals);

    private long _renewals;

    /// <summary>Whether <paramref name="id"/> is a lease etcd still holds (its TTL has not run out).</summary>
    public async Task<bool> IsAliveAsync(long id, CancellationToken cancellation = default)
    {
        var answer = await EtcdConnection.Guard(() => etcd.Leases.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = id }, etcd.Call(cancellation)).ResponseAsync, "lease time to live");
        return answer.TTL > 0;
    }

    /// <summary>
    /// Takes back <paramref name="existing"/> when etcd still holds it, else grants a new lease, and returns its id; etcd
    /// out of reach is an <see cref="EtcdUnavailableException"/>.
    /// </summary>
    public async Task<long> AcquireAsync(long existing, CancellationToken cancellation = default)
    {
        if (existing != 0 && await IsAliveAsync(existing, cancellation))
        {
            Interlocked.Exchange(ref _id, existing);
            return existing;
        }

        return await GrantAsync(cancellation);
    }

    private async Task<long> GrantAsync(CancellationToken cancellation)
    {
        var granted = await EtcdConnection.Guard(() => etcd.Leases.LeaseGrantAsync(new LeaseGrantRequest { TTL = (long)Math.Ceiling(Ttl.TotalSeconds) }, etcd.Call(cancellation)).ResponseAsync, "lease grant");
        Interlocked.Exchange(ref _id, granted.ID);
        Granted?.Invoke(granted.ID);
        return granted.ID;
    }

    /// <summary>Keeps the lease alive until <paramref name="stopping"/>; a lease that expired is replaced. Never throws but at the stop.</summary>
    public async Task RunAsync(CancellationToken stopping)
    {
        var backoff = new Backoff();
        var interval = Ttl / 3;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                if (Id == 0)
                {
                    await GrantAsync(stopping);
                }

                using var call = etcd.Leases.LeaseKeepAlive(cancellationToken: stopping);
                while (!stopping.IsCancellationRequested)
                {
                    await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = Id }, stopping);
                    using var answer = CancellationTokenSource.CreateLinkedTokenSource(stopping);
                    answer.CancelAfter(etcd.Options.RequestTimeout);
                    if (!await call.ResponseStream.MoveNext(answer.Token))
                    {
                        break;
                    }

                    if (call.ResponseStream.Current.TTL <= 0)
                    {
                        // Expired while etcd was out of reach: what was under it is gone. A new lease, and the owner puts it all again.
                        Interlocked.Exchange(ref _id, 0);
                        Lost?.Invoke();
                        break;
                    }

                    Interlocked.Increment(ref _renewals);
                    backoff.Reset();
                    await Task.Delay(interval, stopping);
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RpcException or EtcdUnavailableException or OperationCanceledException or IOException)
            {
                try
                {
                    await backoff.DelayAsync(stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Revokes the lease (a node leaving the cluster for good): what was under it is withdrawn at once.</summary>
    public async Task RevokeAsync(CancellationToken cancellation = default)
    {
        if (Interlocked.Exchange(ref _id, 0) is var id and not 0)
        {
            await EtcdConnection.Guard(() => etcd.Leases.LeaseRevokeAsync(new LeaseRevokeRequest { ID = id }, etcd.Call(cancellation)).ResponseAsync, "lease revoke");
        }
    }
}
