using System.Net;
using System.Net.Sockets;
using System.Numerics;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;

namespace Membrane.Cluster;

/// <summary>
/// Each node's pod CIDR of one family, taken from a cluster pool by etcd transaction: a node with no CIDR takes the
/// first free one in one transaction that succeeds only if the node still has none and nobody holds that CIDR, so two
/// nodes never get the same CIDR and a node racing with itself (an agent restarted mid-way) gets one. A node keeps its
/// CIDR across restarts: asked again, it gets the one it has.
/// </summary>
public sealed class PodCidrAllocator
{
    private readonly EtcdClient _client;
    private readonly IPNetwork _pool;
    private readonly int _nodePrefixLength;

    public PodCidrAllocator(EtcdClient client, IPNetwork pool, int nodePrefixLength)
    {
        var bits = pool.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 32 : 128;
        if (nodePrefixLength < pool.PrefixLength || nodePrefixLength > bits - 2)
        {
            throw new ArgumentException($"a node's CIDR is /{pool.PrefixLength} to /{bits - 2} in the pool {pool}, not /{nodePrefixLength}", nameof(nodePrefixLength));
        }

        if (nodePrefixLength - pool.PrefixLength > 24)
        {
            throw new ArgumentException($"the pool {pool} splits into more than 2^24 node CIDRs of /{nodePrefixLength}; take a larger node CIDR", nameof(nodePrefixLength));
        }

        (_client, _pool, _nodePrefixLength) = (client, pool, nodePrefixLength);
    }

    /// <summary>How many node CIDRs the pool holds.</summary>
    public long Capacity => 1L << (_nodePrefixLength - _pool.PrefixLength);

    /// <summary>The CIDR of <paramref name="node"/>: the one it has, else the first free one, taken now.</summary>
    public async Task<IPNetwork> AllocateAsync(string node, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(node);
        var nodeKey = ClusterKeys.NodePodCidr(node, _pool.BaseAddress.AddressFamily);
        var mine = await _client.GetAsync(nodeKey, cancellationToken: cancellation);
        if (mine.Kvs.Count > 0)
        {
            return Parse(mine.Kvs[0]);
        }

        var taken = (await _client.GetRangeAsync(ClusterKeys.Prefix + "podcidrs/", cancellationToken: cancellation)).Kvs
            .Select(kv => kv.Key.ToStringUtf8()).ToHashSet(StringComparer.Ordinal);
        for (long i = 0; i < Capacity; i++)
        {
            var candidate = Subnet(i);
            var cidrKey = ClusterKeys.PodCidr(candidate);
            if (taken.Contains(cidrKey))
            {
                continue;
            }

            var result = await _client.TransactionAsync(new TxnRequest
            {
                Compare =
                {
                    new Compare { Key = Bytes(nodeKey), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 },
                    new Compare { Key = Bytes(cidrKey), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 },
                },
                Success =
                {
                    new RequestOp { RequestPut = new PutRequest { Key = Bytes(nodeKey), Value = Bytes(candidate.ToString()) } },
                    new RequestOp { RequestPut = new PutRequest { Key = Bytes(cidrKey), Value = Bytes(node) } },
                },
                Failure = { new RequestOp { RequestRange = new RangeRequest { Key = Bytes(nodeKey) } } },
            }, cancellationToken: cancellation);
            if (result.Succeeded)
            {
                return candidate;
            }

            // Lost: the node got a CIDR meanwhile (its own other agent), or another node took this one.
            if (result.Responses[0].ResponseRange.Kvs is { Count: > 0 } got)
            {
                return Parse(got[0]);
            }
        }

        throw new InvalidOperationException($"no pod CIDR is free: the pool {_pool} holds {Capacity} of /{_nodePrefixLength}, and every one is a node's");
    }

    /// <summary>The <paramref name="index"/>-th node CIDR of the pool.</summary>
    private IPNetwork Subnet(long index)
    {
        var bytes = _pool.BaseAddress.GetAddressBytes();
        var bits = bytes.Length * 8;
        var value = new BigInteger(bytes, isUnsigned: true, isBigEndian: true) + (new BigInteger(index) << (bits - _nodePrefixLength));
        var raw = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var address = new byte[bytes.Length];
        raw.CopyTo(address, address.Length - raw.Length);
        return new IPNetwork(new IPAddress(address), _nodePrefixLength);
    }

    private static IPNetwork Parse(Mvccpb.KeyValue kv) =>
        IPNetwork.TryParse(kv.Value.ToStringUtf8(), out var cidr)
            ? cidr
            : throw new InvalidDataException($"{kv.Key.ToStringUtf8()}: \"{kv.Value.ToStringUtf8()}\" is not a CIDR");

    private static ByteString Bytes(string text) => ByteString.CopyFromUtf8(text);
}
