using System.Globalization;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;

namespace Membrane.Cluster;

/// <summary>
/// One identity number per label set across the cluster, allocated in etcd by transaction. Each allocator reserves
/// numbers in blocks of <see cref="BlockSize"/> from a cluster-wide counter (by compare-and-swap on it, so blocks never
/// overlap), and gives a label set a number of its block in one transaction that holds only if the labels still have no
/// number (and the number is unused). Two nodes that race for the same labels therefore get the same number (the
/// loser's transaction fails and reads the winner's), and two racing for different labels get different ones (their
/// blocks differ). The counter is contended once per block, not once per label set: nodes allocating at once do not
/// queue on one key. Numbers only grow, and are never reused, even when released; a block's numbers that an agent did
/// not use before it stopped are never handed out.
/// </summary>
public sealed class IdentityAllocator(EtcdClient client, uint first, uint last)
{
    /// <summary>How many times an allocation retries after losing a race for a block, or a number, before it gives up.</summary>
    public const int MaxAttempts = 64;

    /// <summary>How many numbers one reservation of the counter takes.</summary>
    public const uint BlockSize = 32;

    private readonly SemaphoreSlim _blockLock = new(1, 1);
    private readonly Stack<uint> _spare = new();
    private uint _next;
    private uint _end;

    /// <summary>The number of <paramref name="labels"/> (their canonical text), given to them now if they have none.</summary>
    public async Task<uint> AllocateAsync(string labels, CancellationToken cancellation = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(labels);
        var byLabels = ClusterKeys.IdentityByLabels(labels);
        var found = await client.GetAsync(byLabels, cancellationToken: cancellation);
        if (found.Kvs.Count > 0)
        {
            return Decode(found.Kvs[0], labels);
        }

        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var number = await TakeAsync(cancellation);
            var transaction = new TxnRequest
            {
                Compare =
                {
                    // The labels still have no number, and the number is nobody's (blocks never overlap; this holds even
                    // against a key written by hand).
                    new Compare { Key = Bytes(byLabels), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 },
                    new Compare { Key = Bytes(ClusterKeys.Identity(number)), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 },
                },
                Success =
                {
                    Put(byLabels, $"{number.ToString(CultureInfo.InvariantCulture)} {labels}"),
                    Put(ClusterKeys.Identity(number), labels),
                },
                Failure = { new RequestOp { RequestRange = new RangeRequest { Key = Bytes(byLabels) } } },
            };
            TxnResponse result;
            try
            {
                result = await client.TransactionAsync(transaction, cancellationToken: cancellation);
            }
            catch
            {
                Give(number); // not written: it may be used next time
                throw;
            }

            if (result.Succeeded)
            {
                return number;
            }

            // Lost: the labels got a number meanwhile (the failure branch read it); the number taken was not written.
            if (result.Responses[0].ResponseRange.Kvs is { Count: > 0 } winner)
            {
                Give(number);
                return Decode(winner[0], labels);
            }
        }

        throw new InvalidOperationException($"allocating an identity for {labels} lost {MaxAttempts} races; try again");
    }

    /// <summary>A number of this allocator's block, reserving the next block when it is used up.</summary>
    private async Task<uint> TakeAsync(CancellationToken cancellation)
    {
        await _blockLock.WaitAsync(cancellation);
        try
        {
            if (_spare.TryPop(out var spare))
            {
                return spare;
            }

            if (_next >= _end)
            {
                (_next, _end) = await ReserveAsync(cancellation);
            }

            return _next++;
        }
        finally
        {
            _blockLock.Release();
        }
    }

    private void Give(uint number)
    {
        _blockLock.Wait();
        try
        {
            _spare.Push(number);
        }
        finally
        {
            _blockLock.Release();
        }
    }

    /// <summary>Moves the cluster's counter on by a block, by compare-and-swap, and returns the block taken.</summary>
    private async Task<(uint Next, uint End)> ReserveAsync(CancellationToken cancellation)
    {
        for (var attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var counter = await client.GetAsync(ClusterKeys.NextIdentity, cancellationToken: cancellation);
            var (number, revision) = counter.Kvs.Count > 0 ? (ParseNumber(counter.Kvs[0]), counter.Kvs[0].ModRevision) : (first, 0L);
            if (number > last)
            {
                throw new InvalidOperationException($"no identity number is free: numbers {first} to {last} have all been handed out");
            }

            var end = (uint)Math.Min((ulong)last + 1, (ulong)number + BlockSize);
            var result = await client.TransactionAsync(new TxnRequest
            {
                Compare =
                {
                    revision == 0
                        ? new Compare { Key = Bytes(ClusterKeys.NextIdentity), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 }
                        : new Compare { Key = Bytes(ClusterKeys.NextIdentity), Target = Compare.Types.CompareTarget.Mod, Result = Compare.Types.CompareResult.Equal, ModRevision = revision },
                },
                Success = { Put(ClusterKeys.NextIdentity, end.ToString(CultureInfo.InvariantCulture)) },
            }, cancellationToken: cancellation);
            if (result.Succeeded)
            {
                return (number, end);
            }
        }

        throw new InvalidOperationException($"reserving identity numbers lost the race for the counter {MaxAttempts} times; try again");
    }

    /// <summary>
    /// Puts an identity back that was released while a node still had it (the node was out of reach for longer than the
    /// grace period): its number and its labels, both, when neither is taken meanwhile. Numbers are never reused, so the
    /// number is the labels' still unless the labels have been given another since; then that number is returned, and
    /// the caller's endpoints must move to it.
    /// </summary>
    public async Task<uint> RestoreAsync(uint number, string labels, CancellationToken cancellation = default)
    {
        var byLabels = ClusterKeys.IdentityByLabels(labels);
        var result = await client.TransactionAsync(new TxnRequest
        {
            Compare =
            {
                new Compare { Key = Bytes(byLabels), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 },
                new Compare { Key = Bytes(ClusterKeys.Identity(number)), Target = Compare.Types.CompareTarget.Create, Result = Compare.Types.CompareResult.Equal, CreateRevision = 0 },
            },
            Success = { Put(byLabels, $"{number.ToString(CultureInfo.InvariantCulture)} {labels}"), Put(ClusterKeys.Identity(number), labels) },
            Failure = { new RequestOp { RequestRange = new RangeRequest { Key = Bytes(byLabels) } } },
        }, cancellationToken: cancellation);
        return result.Succeeded || result.Responses[0].ResponseRange.Kvs.Count == 0 ? number : Decode(result.Responses[0].ResponseRange.Kvs[0], labels);
    }

    /// <summary>
    /// Releases an identity no node references: deletes its number and its labels' key, in one transaction that holds
    /// only if no reference to it exists (etcd compares the whole range of references: an empty range has version 0)
    /// and its labels are still those. True when it was released.
    /// </summary>
    public async Task<bool> ReleaseAsync(uint number, string labels, CancellationToken cancellation = default)
    {
        var references = ClusterKeys.References(number);
        var result = await client.TransactionAsync(new TxnRequest
        {
            Compare =
            {
                new Compare
                {
                    Key = Bytes(references), RangeEnd = ByteString.CopyFrom(EtcdConnection.PrefixEnd(references)),
                    Target = Compare.Types.CompareTarget.Version, Result = Compare.Types.CompareResult.Equal, Version = 0,
                },
                new Compare { Key = Bytes(ClusterKeys.Identity(number)), Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = Bytes(labels) },
            },
            Success =
            {
                new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Bytes(ClusterKeys.Identity(number)) } },
                new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = Bytes(ClusterKeys.IdentityByLabels(labels)) } },
            },
        }, cancellationToken: cancellation);
        return result.Succeeded;
    }

    private static uint Decode(Mvccpb.KeyValue kv, string labels)
    {
        var text = kv.Value.ToStringUtf8();
        var space = text.IndexOf(' ', StringComparison.Ordinal);
        if (space < 0 || !uint.TryParse(text.AsSpan(0, space), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            throw new InvalidDataException($"{kv.Key.ToStringUtf8()}: \"{Shorten(text)}\" is not an identity (NUMBER LABELS)");
        }

        if (!string.Equals(text[(space + 1)..], labels, StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{kv.Key.ToStringUtf8()} holds identity {number} of other labels ({Shorten(text[(space + 1)..])}): a SHA-256 collision, or a key written by hand");
        }

        return number;
    }

    private static uint ParseNumber(Mvccpb.KeyValue kv) =>
        uint.TryParse(kv.Value.ToStringUtf8(), NumberStyles.None, CultureInfo.InvariantCulture, out var number)
            ? number
            : throw new InvalidDataException($"{kv.Key.ToStringUtf8()}: \"{Shorten(kv.Value.ToStringUtf8())}\" is not a number");

    private static string Shorten(string text) => text.Length <= 80 ? text : text[..80] + "...";

    private static ByteString Bytes(string text) => ByteString.CopyFromUtf8(text);

    private static RequestOp Put(string key, string value) => new() { RequestPut = new PutRequest { Key = Bytes(key), Value = Bytes(value) } };
}
