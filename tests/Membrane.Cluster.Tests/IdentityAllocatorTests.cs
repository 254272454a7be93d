namespace Membrane.Cluster.Tests;

/// <summary>
/// Identity numbers allocated in a real etcd: nodes racing for the same labels get one number, nodes racing for
/// different labels get different numbers, a number once given stays its labels', and the range is never overrun.
/// </summary>
public sealed class IdentityAllocatorTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Three_nodes_racing_for_the_same_and_for_different_labels_get_one_number_per_label_set()
    {
        using var etcd = await EtcdServer.StartAsync();
        var labels = Enumerable.Range(0, 40).Select(i => $"k8s:app=svc{i},k8s:io.kubernetes.pod.namespace=default").ToList();

        // Three nodes, each with its own client, each asking for every label set in its own order, all at once.
        var nodes = Enumerable.Range(0, 3).Select(n => (Allocator: new IdentityAllocator(etcd.Client(), 256, 100_000), Order: labels.OrderBy(_ => Random.Shared.Next()).ToList())).ToList();
        var results = await Task.WhenAll(nodes.Select(async node =>
        {
            var got = new Dictionary<string, uint>();
            foreach (var set in node.Order)
            {
                got[set] = await node.Allocator.AllocateAsync(set, Ct);
            }

            return got;
        }));

        foreach (var set in labels)
        {
            Assert.Single(results.Select(r => r[set]).Distinct());
        }

        var numbers = labels.Select(l => results[0][l]).ToList();
        Assert.Equal(labels.Count, numbers.Distinct().Count());
        // Each allocator takes numbers from blocks of its own: at most two blocks each for 40 label sets.
        Assert.All(numbers, n => Assert.InRange(n, 256u, 256u + 6 * IdentityAllocator.BlockSize - 1));

        // A number once given stays its labels': asked again, by a node that never asked, it is the same.
        var late = new IdentityAllocator(etcd.Client(), 256, 100_000);
        Assert.Equal(results[1][labels[7]], await late.AllocateAsync(labels[7], Ct));
        Assert.Equal(labels[7], (await etcd.Client().GetValAsync(ClusterKeys.Identity(results[1][labels[7]]), cancellationToken: Ct)));
    }

    [Fact]
    public async Task An_exhausted_range_and_a_key_that_does_not_decode_are_errors_that_name_them()
    {
        using var etcd = await EtcdServer.StartAsync();
        var allocator = new IdentityAllocator(etcd.Client(), 256, 257);
        Assert.Equal(256u, await allocator.AllocateAsync("k8s:app=a", Ct));
        Assert.Equal(257u, await allocator.AllocateAsync("k8s:app=b", Ct));
        var full = await Assert.ThrowsAsync<InvalidOperationException>(() => allocator.AllocateAsync("k8s:app=c", Ct));
        Assert.Contains("no identity number is free: numbers 256 to 257", full.Message);

        await etcd.Client().PutAsync(ClusterKeys.IdentityByLabels("k8s:app=bad"), "not an identity", cancellationToken: Ct);
        var bad = await Assert.ThrowsAsync<InvalidDataException>(() => allocator.AllocateAsync("k8s:app=bad", Ct));
        Assert.Contains("is not an identity (NUMBER LABELS)", bad.Message);
        Assert.Contains(ClusterKeys.IdentityByLabels("k8s:app=bad"), bad.Message);
    }
}
