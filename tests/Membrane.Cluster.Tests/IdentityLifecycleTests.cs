using Etcdserverpb;
using Google.Protobuf;

namespace Membrane.Cluster.Tests;

/// <summary>
/// Identities and leases against a real etcd: an identity is released only when no node references it, a reference
/// under a lease goes with the lease, and a released number is never handed out again; a lease kept alive outlives its
/// TTL, one left alone takes what is under it away, and an expired one is replaced.
/// </summary>
public sealed class IdentityLifecycleTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_identity_is_released_only_without_references_and_its_number_is_never_reused()
    {
        using var etcd = await EtcdServer.StartAsync();
        using var connection = new EtcdConnection(new EtcdOptions([new Uri("http://127.0.0.1:2379")]), (_, cancel) => etcd.ConnectAsync(cancel));
        var allocator = new IdentityAllocator(connection.Client, 256, 100_000);
        const string labels = "k8s:app=churn";
        var number = await allocator.AllocateAsync(labels, Ct);

        var lease = new NodeLease(connection, TimeSpan.FromSeconds(5));
        var leaseId = await lease.AcquireAsync(0, Ct);
        await connection.Kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(ClusterKeys.Reference(number, "node-a")), Lease = leaseId }, cancellationToken: Ct);
        Assert.False(await allocator.ReleaseAsync(number, labels, Ct), "referenced by node-a");
        Assert.Equal(labels, await connection.Client.GetValAsync(ClusterKeys.Identity(number), cancellationToken: Ct));

        // The node's lease goes (its agent died): its reference goes with it, and the identity can be released.
        await lease.RevokeAsync(Ct);
        Assert.True(await allocator.ReleaseAsync(number, labels, Ct));
        Assert.Equal("", await connection.Client.GetValAsync(ClusterKeys.Identity(number), cancellationToken: Ct));
        Assert.Equal("", await connection.Client.GetValAsync(ClusterKeys.IdentityByLabels(labels), cancellationToken: Ct));

        // The same labels later get a new number: the released one is never handed out again.
        var again = await allocator.AllocateAsync(labels, Ct);
        Assert.True(again > number, $"{again} reuses a released number ({number})");

        // A node that still has the old number (it was cut off) puts it back only while nothing took the labels since.
        Assert.Equal(again, await allocator.RestoreAsync(number, labels, Ct));
        Assert.True(await allocator.ReleaseAsync(again, labels, Ct));
        Assert.Equal(number, await allocator.RestoreAsync(number, labels, Ct));
        Assert.Equal(labels, await connection.Client.GetValAsync(ClusterKeys.Identity(number), cancellationToken: Ct));
    }

    [Fact]
    public async Task A_lease_kept_alive_outlives_its_ttl_and_one_left_alone_takes_its_keys_and_is_replaced()
    {
        using var etcd = await EtcdServer.StartAsync();
        using var connection = new EtcdConnection(new EtcdOptions([new Uri("http://127.0.0.1:2379")]), (_, cancel) => etcd.ConnectAsync(cancel));
        var lease = new NodeLease(connection, TimeSpan.FromSeconds(2));
        var granted = new List<long>();
        lease.Granted += granted.Add;
        var id = await lease.AcquireAsync(0, Ct);
        await connection.Kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("membrane/v1/ipcache/10.1.0.1"), Value = ByteString.CopyFromUtf8("x"), Lease = id }, cancellationToken: Ct);

        using var keeping = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var running = lease.RunAsync(keeping.Token);
        await Task.Delay(TimeSpan.FromSeconds(5), Ct);
        Assert.Equal("x", await connection.Client.GetValAsync("membrane/v1/ipcache/10.1.0.1", cancellationToken: Ct));
        Assert.True(lease.Renewals >= 3, $"{lease.Renewals} renewals in 5 s of a 2 s lease");

        // A restarted agent takes its live lease back: no new grant.
        var second = new NodeLease(connection, TimeSpan.FromSeconds(2));
        Assert.Equal(id, await second.AcquireAsync(id, Ct));

        await keeping.CancelAsync();
        await running;
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (await connection.Client.GetValAsync("membrane/v1/ipcache/10.1.0.1", cancellationToken: Ct) != "")
        {
            Assert.True(DateTime.UtcNow < deadline, "the key outlived its lease by 10 s");
            await Task.Delay(100, Ct);
        }

        Assert.False(await lease.IsAliveAsync(id, Ct));
        var replaced = await second.AcquireAsync(id, Ct);
        Assert.NotEqual(id, replaced);
        Assert.Single(granted);
    }
}
