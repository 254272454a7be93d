using Membrane.Agent.Control;

namespace Membrane.Agent.Tests.Control;

/// <summary>
/// The regenerator's own logic, without root or a kernel, against <see cref="FakePolicyCommitter"/>: changes are made
/// one at a time in the order they came; policy changes that queue up while another is made are made as one batch, each
/// caller still answered alone; a batch refused whole is made again change by change, so only the change that does not
/// fit is refused; a caller that times out is told whether its change was dropped or is still being made.
/// </summary>
public sealed class RegeneratorTests : IAsyncLifetime
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(20);
    private readonly FakePolicyCommitter _node = new();
    private readonly Regenerator _regenerator;

    public RegeneratorTests() => _regenerator = new Regenerator(_node);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => await _regenerator.StartAsync(CancellationToken.None);

    public async ValueTask DisposeAsync()
    {
        _node.Gate.Set();
        await _regenerator.StopAsync(CancellationToken.None);
        _regenerator.Dispose();
    }

    [Fact]
    public async Task Policy_changes_queued_behind_a_change_are_made_as_one_batch_and_each_caller_is_answered()
    {
        _node.Gate.Reset();
        var first = _regenerator.ChangePoliciesAsync("a", FakePolicyCommitter.Change("a"), Long, Ct);
        Assert.True(await _node.Entered.WaitAsync(Long, Ct));
        var queued = Enumerable.Range(0, 20).Select(i => _regenerator.ChangePoliciesAsync($"q{i}", FakePolicyCommitter.Change($"q{i}"), Long, Ct)).ToList();
        _node.Gate.Set();

        var answers = await Task.WhenAll(queued);
        Assert.Equal(1, (await first).Revision);
        Assert.All(answers, a => Assert.True(a.Applied));
        Assert.All(answers, a => Assert.Equal(2, a.Revision));
        Assert.Equal([["a"], [.. Enumerable.Range(0, 20).Select(i => $"q{i}")]], _node.Batches.ToArray());
        Assert.Equal((21L, 2L), _regenerator.PolicyBatches);
    }

    [Fact]
    public async Task A_batch_refused_whole_is_made_change_by_change_and_only_the_change_that_does_not_fit_is_refused()
    {
        _node.Gate.Reset();
        _node.Refuse.Add("big");
        var first = _regenerator.ChangePoliciesAsync("a", FakePolicyCommitter.Change("a"), Long, Ct);
        Assert.True(await _node.Entered.WaitAsync(Long, Ct));
        var before = _regenerator.ChangePoliciesAsync("b", FakePolicyCommitter.Change("b"), Long, Ct);
        var big = _regenerator.ChangePoliciesAsync("big", FakePolicyCommitter.Change("big"), Long, Ct);
        var after = _regenerator.ChangePoliciesAsync("c", FakePolicyCommitter.Change("c"), Long, Ct);
        _node.Gate.Set();

        await first;
        Assert.True((await before).Applied);
        Assert.Equal("refused: big", (await Assert.ThrowsAsync<InvalidOperationException>(() => big)).Message);
        Assert.True((await after).Applied);
        Assert.Equal([["a"], ["b", "big", "c"], ["b"], ["big"], ["c"]], _node.Batches.ToArray());
    }

    [Fact]
    public async Task Other_changes_are_made_alone_and_in_the_order_they_came()
    {
        _node.Gate.Reset();
        var made = new List<string>();
        var first = _regenerator.ChangePoliciesAsync("a", FakePolicyCommitter.Change("a"), Long, Ct);
        Assert.True(await _node.Entered.WaitAsync(Long, Ct));
        var one = _regenerator.RunAsync("one", () => { made.Add("one"); return 1; }, Long, Ct);
        var policy = _regenerator.ChangePoliciesAsync("b", FakePolicyCommitter.Change("b"), Long, Ct);
        var two = _regenerator.RunAsync("two", () => { made.Add($"two after {_node.Batches.Count} batches"); return 2; }, Long, Ct);
        var failing = _regenerator.RunAsync<int>("failing", () => throw new ArgumentException("bad"), Long, Ct);
        _node.Gate.Set();

        Assert.Equal(1, await one);
        Assert.Equal(2, await two);
        await policy;
        await first;
        Assert.Equal("bad", (await Assert.ThrowsAsync<ArgumentException>(() => failing)).Message);
        Assert.Equal(["one", "two after 2 batches"], made);
        Assert.Equal([["a"], ["b"]], _node.Batches.ToArray());
    }

    [Fact]
    public async Task A_caller_that_times_out_is_told_whether_its_change_was_dropped_or_is_still_being_made()
    {
        _node.Gate.Reset();
        // Two seconds for the running change: time enough for it to start on a loaded machine, and it is then held.
        var running = _regenerator.ChangePoliciesAsync("the running change", FakePolicyCommitter.Change("a"), TimeSpan.FromSeconds(2), Ct);
        Assert.True(await _node.Entered.WaitAsync(Long, Ct));
        var waiting = _regenerator.RunAsync("the waiting change", () => 1, TimeSpan.FromMilliseconds(200), Ct);

        var pending = await Assert.ThrowsAsync<ChangeTimeoutException>(() => running);
        Assert.True(pending.Started);
        Assert.Contains("the running change was still being made after 2 s", pending.Message);
        var dropped = await Assert.ThrowsAsync<ChangeTimeoutException>(() => waiting);
        Assert.False(dropped.Started);
        Assert.Contains("nothing of it was made", dropped.Message);

        // The running one completes on its own; the dropped one is never made.
        var ran = false;
        _node.Gate.Set();
        Assert.Equal(1, await _regenerator.RunAsync("later", () => { ran = true; return 1; }, Long, Ct));
        Assert.True(ran);
        Assert.Equal([["a"]], _node.Batches.ToArray());
    }

    [Fact]
    public async Task Changes_left_when_it_stops_are_refused_and_none_is_taken_after()
    {
        _node.Gate.Reset();
        var running = _regenerator.ChangePoliciesAsync("a", FakePolicyCommitter.Change("a"), Long, Ct);
        Assert.True(await _node.Entered.WaitAsync(Long, Ct));
        var left = _regenerator.RunAsync("left", () => 1, Long, Ct);

        var stopping = _regenerator.StopAsync(CancellationToken.None);
        _node.Gate.Set();
        await stopping;

        Assert.Equal(1, (await running).Revision);
        Assert.Contains("stopped before this change was made", (await Assert.ThrowsAsync<ObjectDisposedException>(() => left)).Message);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => _regenerator.RunAsync("after", () => 1, Long, Ct));
    }
}
