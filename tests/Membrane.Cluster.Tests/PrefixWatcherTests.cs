using Etcdserverpb;
using Google.Protobuf;

namespace Membrane.Cluster.Tests;

/// <summary>
/// The watch every agent runs, against a real etcd: a listing then the changes in order; after etcd goes away and
/// comes back, it resumes from its revision and misses nothing; when that revision was compacted meanwhile, it lists
/// the prefix again, whole.
/// </summary>
public sealed class PrefixWatcherTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private sealed class Recorder : IWatchSink
    {
        public Dictionary<string, string> Keys { get; } = [];

        public int Resets { get; private set; }

        public long Revision { get; private set; }

        public void Reset(IReadOnlyList<Mvccpb.KeyValue> kvs, long revision)
        {
            lock (Keys)
            {
                Keys.Clear();
                foreach (var kv in kvs)
                {
                    Keys[kv.Key.ToStringUtf8()] = kv.Value.ToStringUtf8();
                }

                Resets++;
                Revision = revision;
            }
        }

        public void Apply(IReadOnlyList<Mvccpb.Event> events, long revision)
        {
            lock (Keys)
            {
                foreach (var e in events)
                {
                    if (e.Type == Mvccpb.Event.Types.EventType.Put)
                    {
                        Keys[e.Kv.Key.ToStringUtf8()] = e.Kv.Value.ToStringUtf8();
                    }
                    else
                    {
                        Keys.Remove(e.Kv.Key.ToStringUtf8());
                    }
                }

                Revision = revision;
            }
        }

        public async Task WaitAsync(Func<Dictionary<string, string>, bool> condition, string what)
        {
            var deadline = DateTime.UtcNow.AddSeconds(20);
            while (true)
            {
                lock (Keys)
                {
                    if (condition(Keys))
                    {
                        return;
                    }
                }

                Assert.True(DateTime.UtcNow < deadline, $"{what} did not happen in 20 s; the watcher holds {string.Join(", ", Keys.Select(k => k.Key + "=" + k.Value))}");
                await Task.Delay(10);
            }
        }
    }

    [Fact]
    public async Task It_lists_then_follows_resumes_after_etcd_returns_and_lists_again_after_a_compaction()
    {
        using var etcd = await EtcdServer.StartAsync();
        using var connection = new EtcdConnection(new EtcdOptions([new Uri("http://127.0.0.1:2379")]) { RequestTimeout = TimeSpan.FromSeconds(2) }, (_, cancel) => etcd.ConnectAsync(cancel));
        var client = etcd.Client();
        for (var i = 0; i < 2500; i++) // more than a page of the listing
        {
            await client.PutAsync($"w/listed/{i:D4}", "x", cancellationToken: Ct);
        }

        await client.PutAsync("other/outside", "x", cancellationToken: Ct);
        var recorder = new Recorder();
        var watcher = new PrefixWatcher(connection, "w/", recorder) { Backoff = new Backoff(TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(500)) };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var running = watcher.RunAsync(stop.Token);
        await recorder.WaitAsync(k => k.Count == 2500, "the listing");
        Assert.DoesNotContain("other/outside", recorder.Keys.Keys);

        await client.PutAsync("w/a", "1", cancellationToken: Ct);
        await client.DeleteAsync("w/listed/0000", cancellationToken: Ct);
        await recorder.WaitAsync(k => k.GetValueOrDefault("w/a") == "1" && !k.ContainsKey("w/listed/0000"), "following the changes");
        Assert.Equal(1, recorder.Resets);

        // etcd gone, then back: the watch resumes from its revision (no listing) and sees what was written meanwhile,
        // by a writer that reached etcd first.
        etcd.Process.Kill();
        await Task.Delay(300, Ct);
        await etcd.Process.StartAgainAsync();
        var writer = etcd.Client();
        await writer.PutAsync("w/b", "2", cancellationToken: Ct);
        await writer.DeleteAsync("w/a", cancellationToken: Ct);
        await recorder.WaitAsync(k => k.GetValueOrDefault("w/b") == "2" && !k.ContainsKey("w/a"), "catching up after etcd returned");
        Assert.Equal(1, recorder.Resets);

        // Compacted past the watcher's revision while it was stopped: started again, it lists again.
        await stop.CancelAsync();
        await running;
        await writer.PutAsync("w/c", "3", cancellationToken: Ct);
        await writer.DeleteAsync("w/b", cancellationToken: Ct);
        var head = await writer.PutAsync("w/d", "4", cancellationToken: Ct);
        await connection.Kv.CompactAsync(new CompactionRequest { Revision = head.Header.Revision, Physical = true }, cancellationToken: Ct);
        using var again = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        running = watcher.RunAsync(again.Token);
        await recorder.WaitAsync(k => k.GetValueOrDefault("w/d") == "4" && k.ContainsKey("w/c") && !k.ContainsKey("w/b"), "catching up after a compaction");
        Assert.Equal(2, recorder.Resets);
        Assert.Equal(2, watcher.Listings);
        Assert.Equal(2499 + 2, recorder.Keys.Count);

        await again.CancelAsync();
        await running;
        Assert.True(watcher.Requests >= 2);
    }
}
