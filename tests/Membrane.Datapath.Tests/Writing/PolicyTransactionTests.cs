using System.Collections.Immutable;
using Membrane.Datapath.Encoding;
using Membrane.Datapath.Layout;
using Membrane.Datapath.Twin;
using Membrane.Datapath.Writing;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Source;
using Membrane.Policy.Values;

namespace Membrane.Datapath.Tests.Writing;

/// <summary>
/// Several endpoints' updates are all or nothing: a change that does not fit is refused before anything is written,
/// and a map operation that fails anywhere before the change is made leaves every endpoint on its old state and the
/// map holding exactly what it held, with each writer's view equal to the map's.
/// </summary>
public sealed class PolicyTransactionTests
{
    private static readonly RuleOrigin Origin = new("CiliumNetworkPolicy", "default", "tx", "spec.ingress[0]", new SourcePosition("tx.yaml", 1, 1));

    [Fact]
    public void A_change_that_does_not_fit_is_refused_before_anything_is_written()
    {
        var maps = new TwinMaps();
        var cookies = new PolicyCookieTable();
        var writers = Enumerable.Range(1, 3).Select(i => Writer((uint)i, cookies)).ToList();
        writers.ForEach(w => w.Apply(State(5, offset: 0), maps));
        var before = Copy(maps);

        // Three endpoints of 400 entries in two buffers each need 2,400, and the map holds 1,000.
        var transaction = new PolicyTransaction(maps, new PolicyMapBudget("mbr_policy", 1000, maps.Policy.Count));
        writers.ForEach(w => transaction.Add(w.Plan(State(400, offset: 1000))));
        var full = Assert.Throws<MapFullException>(transaction.WriteIdle);
        Assert.Equal(("mbr_policy", 1000L, 30L, 2400L), (full.Map, full.Capacity, full.InUse, full.Needed));
        Assert.Contains("holds at most 1,000 entries", full.Message);
        AssertSame(before, maps);
        Assert.All(writers, w => Assert.Equal(10, w.Entries));

        // What fits goes through whole.
        var fits = new PolicyTransaction(maps, new PolicyMapBudget("mbr_policy", 1000, maps.Policy.Count));
        writers.ForEach(w => fits.Add(w.Plan(State(100, offset: 1000))));
        Assert.Equal(600, fits.EntriesAfter);
        Assert.Null(fits.Commit());
        Assert.Equal(600, maps.Policy.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // every endpoint new: one switched and taken back is removed again
    public void A_failure_at_any_map_operation_before_the_change_is_made_leaves_the_map_as_it_was(bool fresh)
    {
        var cookies = new PolicyCookieTable();
        var (earlier, after) = (fresh ? null : State(6, offset: 0), State(8, offset: 3));
        var operations = Count(cookies, earlier, after);
        for (var failAt = 1; failAt <= operations; failAt++)
        {
            var maps = new TwinMaps();
            var writers = Enumerable.Range(1, 3).Select(i => Writer((uint)i, cookies)).ToList();
            if (earlier is not null)
            {
                writers.ForEach(w => w.Apply(earlier, maps));
            }

            var before = Copy(maps);

            var failing = new FailingTarget(maps, failAt);
            var transaction = new PolicyTransaction(failing, PolicyMapBudget.Unlimited);
            writers.ForEach(w => transaction.Add(w.Plan(after)));
            Exception? failure = null;
            try
            {
                transaction.WriteIdle();
                transaction.Switch();
            }
            catch (IOException e)
            {
                failure = e;
            }

            if (failure is null)
            {
                // The failing operation was in the sync: the change is made, the buffer left part way is known to its writer.
                Assert.NotNull(transaction.Sync());
                Assert.All(writers, w => Assert.Equal(after.Entries.Count, maps.Policy.Entries.Count(e => e.Key.PolicyId == maps.Endpoints[w.Ifindex].PolicyId)));
            }
            else
            {
                AssertSame(before, maps);
            }

            Assert.Equal(maps.Policy.Count, writers.Sum(w => w.Entries));

            // And the same change, once the map takes it, ends in the state in both buffers.
            var again = new PolicyTransaction(maps, PolicyMapBudget.Unlimited);
            writers.ForEach(w => again.Add(w.Plan(after)));
            Assert.Null(again.Commit());
            Assert.Equal(3 * 2 * after.Entries.Count, maps.Policy.Count);
            Assert.All(writers, w => Assert.True(w.Plan(after).IsEmpty));
        }
    }

    [Fact]
    public void Aborting_between_the_write_and_the_switch_restores_every_idle_buffer()
    {
        var maps = new TwinMaps();
        var cookies = new PolicyCookieTable();
        var writers = Enumerable.Range(1, 2).Select(i => Writer((uint)i, cookies)).ToList();
        writers.ForEach(w => w.Apply(State(4, offset: 0), maps));
        var before = Copy(maps);

        var transaction = new PolicyTransaction(maps, PolicyMapBudget.Unlimited);
        writers.ForEach(w => transaction.Add(w.Plan(State(9, offset: 2))));
        transaction.WriteIdle();
        Assert.NotEqual(before.Policy.Count, maps.Policy.Count);
        transaction.Abort(); // the caller could not save the change
        AssertSame(before, maps);
        Assert.Throws<InvalidOperationException>(transaction.Switch);
    }

    private static int Count(PolicyCookieTable cookies, EndpointMapState? earlier, EndpointMapState after)
    {
        var maps = new TwinMaps();
        var writers = Enumerable.Range(1, 3).Select(i => Writer((uint)i, cookies)).ToList();
        if (earlier is not null)
        {
            writers.ForEach(w => w.Apply(earlier, maps));
        }

        return writers.Sum(w => w.Plan(after).Steps.Count);
    }

    private static PolicyBufferWriter Writer(uint id, PolicyCookieTable cookies) =>
        new(id, new EndpointConfig { EndpointId = id, Identity = 300 + id }, cookies);

    /// <summary><paramref name="count"/> TCP allows from identities offset.. and ICMP for the first few.</summary>
    private static EndpointMapState State(int count, int offset)
    {
        var entries = ImmutableDictionary.CreateBuilder<PolicyKey, PolicyEntry>();
        for (var i = 0; i < count; i++)
        {
            entries[new PolicyKey(TrafficDirection.Ingress, (uint)(1000 + offset + i), IpProtocols.Tcp, 80, 16)] = new PolicyEntry(Verdict.Allow, [Origin]);
        }

        return new EndpointMapState(entries.ToImmutable(), count % 2 == 0 ? [Origin] : [], []);
    }

    private static (Dictionary<PolicyMapKey, PolicyMapValue> Policy, Dictionary<uint, EndpointConfig> Endpoints) Copy(TwinMaps maps) =>
        (maps.Policy.Entries.ToDictionary(e => e.Key, e => e.Value), new Dictionary<uint, EndpointConfig>(maps.Endpoints));

    private static void AssertSame((Dictionary<PolicyMapKey, PolicyMapValue> Policy, Dictionary<uint, EndpointConfig> Endpoints) before, TwinMaps maps)
    {
        Assert.Equal(before.Endpoints.OrderBy(e => e.Key), maps.Endpoints.OrderBy(e => e.Key));
        Assert.Equal(before.Policy.Count, maps.Policy.Count);
        Assert.All(maps.Policy.Entries, e => Assert.Equal(before.Policy[e.Key], e.Value));
    }

    /// <summary>The twin's maps, failing the n-th operation as the kernel fails an insert into a full map.</summary>
    private sealed class FailingTarget(TwinMaps maps, int failAt) : IPolicyMapTarget
    {
        private int _operations;

        public void UpsertPolicy(in PolicyMapKey key, in PolicyMapValue value)
        {
            Count();
            maps.UpsertPolicy(key, value);
        }

        public void DeletePolicy(in PolicyMapKey key)
        {
            Count();
            maps.DeletePolicy(key);
        }

        public void SetEndpoint(uint ifindex, in EndpointConfig config)
        {
            Count();
            maps.SetEndpoint(ifindex, config);
        }

        public void DeleteEndpoint(uint ifindex)
        {
            Count();
            maps.DeleteEndpoint(ifindex);
        }

        private void Count()
        {
            if (++_operations == failAt)
            {
                throw new IOException($"map operation {failAt} failed (No space left on device)");
            }
        }
    }
}
