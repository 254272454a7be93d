using System.Diagnostics;
using System.Net;
using Membrane.Api;
using Membrane.Bpf.Maps;
using Membrane.Cluster;
using Membrane.Cluster.Benchmarks;
using Membrane.Datapath.Layout;

// Cluster mode's measures on a real three-node cluster of ./membrane agents and a real etcd (see BenchCluster):
//   1. policy import until enforced on every node, 1,000 rules (bench/agent/gen-policies.py), 10 endpoints per node;
//   2. propagation: N endpoints (default 1,000) created round-robin on the three nodes, each timed from its create call's
//      return until the next node's kernel ipcache holds its address (looked up in the pinned map): p50, p99, max;
//      and etcd's keys, bytes and writes (revisions) per endpoint;
//   3. identity allocations per second, three nodes' allocators at once, each with new label sets;
//   4. agent memory and ipcache use per 10,000 remote endpoints (published into etcd for a node of the bench's own).
// Usage (root): bench/cluster/run.sh [N] [REMOTE]
var membrane = args[0];
var endpoints = args.Length > 1 ? int.Parse(args[1]) : 1000;
var remote = args.Length > 2 ? int.Parse(args[2]) : 10_000;
var policies = args.Length > 3 ? args[3] : null;
if (!Environment.IsPrivilegedProcess)
{
    Console.Error.WriteLine("needs root: the benchmark creates network namespaces and runs agents");
    return 1;
}

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, kernel {File.ReadAllText("/proc/sys/kernel/osrelease").Trim()}, etcd {Environment.GetEnvironmentVariable("MBR_BENCH_ETCD") ?? "(see etcd --version)"}");
using var cluster = new BenchCluster(membrane, nodes: 3);
using var etcd = cluster.ConnectEtcd();
var clients = cluster.Nodes.Select(n => new AgentClient(n.Socket, TimeSpan.FromSeconds(120))).ToList();

// 1. Policy import until enforced on every node.
if (policies is not null)
{
    for (var i = 0; i < 30; i++)
    {
        await clients[i % 3].CreateEndpointAsync(new EndpointCreateRequest($"{cluster.Prefix}p{i}", $"k8s:app=svc{i % 25},k8s:role={(i == 0 ? "server" : i == 1 ? "client" : "sample")}"));
    }

    var text = File.ReadAllText(policies);
    var started = Stopwatch.GetTimestamp();
    var imported = await clients[0].ImportPoliciesAsync(new PolicyImportRequest([new PolicyFile("bench.yaml", text)]));
    var returned = Stopwatch.GetElapsedTime(started);
    var everywhere = await Task.WhenAll(clients.Select(async c =>
    {
        while ((await c.ClusterStatusAsync()).EnforcedPolicyRevision < imported.Revision)
        {
            await Task.Delay(1);
        }

        return Stopwatch.GetElapsedTime(started);
    }));
    Console.WriteLine($"import: 1,000 rules in {text.Split("\nkind:").Length - 1} policies, 30 endpoints over 3 nodes: the call returned in {returned.TotalMilliseconds:F0} ms " +
        $"(enforced on the importing node); enforced on every node after {everywhere.Max().TotalMilliseconds:F0} ms");
    await clients[0].DeletePoliciesAsync();
    for (var i = 0; i < 30; i++)
    {
        await clients[i % 3].DeleteEndpointAsync($"{cluster.Prefix}p{i}");
    }
}

// 2. Propagation, and etcd's keys, bytes and writes per endpoint.
var ipcaches = cluster.Nodes.Select(n => BpfMap.OpenPinned(Path.Combine(n.PinRoot, "datapath", "mbr_ipcache"))).ToList();
var before = await etcd.ListAsync(ClusterKeys.Prefix);
var latencies = new List<double>(endpoints);
var labelSets = Math.Max(1, endpoints / 10);
var created = Stopwatch.GetTimestamp();
for (var i = 0; i < endpoints; i++)
{
    var node = i % 3;
    var endpoint = await clients[node].CreateEndpointAsync(new EndpointCreateRequest($"{cluster.Prefix}e{i}", $"k8s:app=prop{i % labelSets}"));
    var returned = Stopwatch.GetTimestamp();
    var key = IpcacheKey.Host(IPAddress.Parse(endpoint.Ipv4));
    var next = ipcaches[(node + 1) % 3];
    var spin = new SpinWait();
    while (!next.TryLookup<IpcacheKey, IpcacheValue>(key, out var value) || value.Identity != endpoint.Identity)
    {
        if (Stopwatch.GetElapsedTime(returned) > TimeSpan.FromSeconds(30))
        {
            throw new TimeoutException($"{endpoint.Name} did not reach node {(node + 1) % 3 + 1} in 30 s");
        }

        spin.SpinOnce(sleep1Threshold: -1);
    }

    latencies.Add(Stopwatch.GetElapsedTime(returned).TotalMilliseconds);
    if ((i + 1) % 100 == 0)
    {
        Console.Error.WriteLine($"  {i + 1}/{endpoints} endpoints");
    }
}

var creating = Stopwatch.GetElapsedTime(created);
latencies.Sort();
double Percentile(double p) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(p * latencies.Count) - 1)];
Console.WriteLine($"propagation: {endpoints} endpoints created over 3 nodes in {creating.TotalSeconds:F1} s; create returned -> next node's ipcache holds it: " +
    $"p50 {Percentile(0.50):F1} ms, p99 {Percentile(0.99):F1} ms, max {latencies[^1]:F1} ms");
var after = await etcd.ListAsync(ClusterKeys.Prefix);
long Bytes(List<Mvccpb.KeyValue> kvs) => kvs.Sum(kv => (long)kv.Key.Length + kv.Value.Length);
Console.WriteLine($"etcd: {(after.Kvs.Count - before.Kvs.Count) / (double)endpoints:F2} keys and {(Bytes(after.Kvs) - Bytes(before.Kvs)) / (double)endpoints:F0} bytes (keys and values) per endpoint " +
    $"({labelSets} label sets); {(after.Revision - before.Revision) / (double)endpoints:F2} revisions (writes) per endpoint created");

// 3. Identity allocations per second: three allocators (three nodes' connections) at once, new label sets each; and,
// as the floor, etcd's own rate for plain puts from three connections at once on this machine.
const int perNode = 2000;
var connections = Enumerable.Range(0, 3).Select(_ => cluster.ConnectEtcd()).ToList();
var putting = Stopwatch.GetTimestamp();
await Task.WhenAll(connections.Select(async (c, n) =>
{
    for (var i = 0; i < 1000; i++)
    {
        await c.Client.PutAsync($"mbrbench/floor/{n}/{i}", "x");
    }
}));
var puts = Stopwatch.GetElapsedTime(putting);
await etcd.Client.DeleteRangeAsync("mbrbench/");
Console.WriteLine($"etcd floor: 3,000 plain puts from 3 connections at once in {puts.TotalSeconds:F2} s: {3000 / puts.TotalSeconds:F0} puts/s");
var allocating = Stopwatch.GetTimestamp();
var numbers = await Task.WhenAll(connections.Select(async (c, n) =>
{
    var allocator = new IdentityAllocator(c.Client, 256, (1u << 24) - 1);
    var got = new List<uint>();
    for (var i = 0; i < perNode; i++)
    {
        // A third of each node's label sets are another node's too: racing for the same labels is part of the measure.
        got.Add(await allocator.AllocateAsync(i % 3 == 0 ? $"k8s:app=shared{i}" : $"k8s:app=new{n}-{i}"));
    }

    return got;
}));
var allocated = Stopwatch.GetElapsedTime(allocating);
var distinct = numbers.SelectMany(n => n).Distinct().Count();
Console.WriteLine($"identities: {3 * perNode} allocations ({distinct} distinct label sets) by 3 nodes at once in {allocated.TotalSeconds:F2} s: {3 * perNode / allocated.TotalSeconds:F0} allocations/s");
connections.ForEach(c => c.Dispose());

// 4. Memory and ipcache use per 10,000 remote endpoints: a node of the bench's own publishes them under its lease.
var agent = cluster.Nodes[0].Agent;
var rssBefore = BenchCluster.ResidentBytes(agent);
var entriesBefore = (await clients[0].IpcacheAsync()).Count;
var lease = new NodeLease(etcd, TimeSpan.FromSeconds(600));
var leaseId = await lease.AcquireAsync(0);
await etcd.Client.PutAsync(ClusterKeys.NodePodCidr("mbrcb-remote", System.Net.Sockets.AddressFamily.InterNetwork), "10.233.0.0/16");
var remoteAllocator = new IdentityAllocator(etcd.Client, 256, (1u << 24) - 1);
var remoteIdentities = new List<uint>();
for (var i = 0; i < 100; i++)
{
    remoteIdentities.Add(await remoteAllocator.AllocateAsync($"k8s:app=remote{i}"));
}

var publishing = Stopwatch.GetTimestamp();
for (var start = 0; start < remote; start += 100)
{
    var txn = new Etcdserverpb.TxnRequest();
    for (var i = start; i < Math.Min(remote, start + 100); i++)
    {
        var address = new IPAddress([10, 233, (byte)(i >> 8), (byte)i]);
        txn.Success.Add(new Etcdserverpb.RequestOp { RequestPut = new Etcdserverpb.PutRequest
        {
            Key = Google.Protobuf.ByteString.CopyFromUtf8(ClusterKeys.Ipcache(address)),
            Value = Google.Protobuf.ByteString.CopyFromUtf8($"{{\"identity\":{remoteIdentities[i % 100]},\"node\":\"mbrcb-remote\"}}"),
            Lease = leaseId,
        } });
    }

    await etcd.TxnAsync(txn, "publish remote endpoints");
}

while ((await clients[0].IpcacheAsync()).Count < entriesBefore + remote)
{
    await Task.Delay(20);
}

var applied = Stopwatch.GetElapsedTime(publishing);
GC.Collect();
await Task.Delay(2000);
var rssAfter = BenchCluster.ResidentBytes(agent);
var entryBytes = System.Runtime.InteropServices.Marshal.SizeOf<IpcacheKey>() + System.Runtime.InteropServices.Marshal.SizeOf<IpcacheValue>();
Console.WriteLine($"remote: {remote} endpoints of another node (100 identities) published in {remote / 100} transactions reached node 1's ipcache in {applied.TotalSeconds:F2} s; " +
    $"agent RSS {rssBefore / 1048576.0:F0} MiB -> {rssAfter / 1048576.0:F0} MiB (+{(rssAfter - rssBefore) / 1048576.0 * 10_000 / remote:F1} MiB per 10,000); " +
    $"ipcache +{remote} entries of {entryBytes} bytes of key and value (+{remote * entryBytes / 1024.0:F0} KiB per 10,000)");
await lease.RevokeAsync();
ipcaches.ForEach(m => m.Dispose());
return 0;
