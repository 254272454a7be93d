using CsCheck;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Reference;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Tests;

/// <summary>
/// The map state and the reference evaluator agree on random policies, identities and flows, and
/// incremental updates give the same state as resolving from scratch. These checks fail, for
/// example, if deny precedence is left to the longest-prefix lookup alone (an allow for port 80
/// then hides a deny for all ports), or if port ranges are split into the wrong prefixes.
/// </summary>
public sealed class MapStatePropertyTests
{
    [Fact]
    public void Map_state_and_reference_evaluator_agree()
    {
        Gen.Select(EngineGenerators.World, EngineGenerators.Flow.Array[40]).Sample((world, flows) =>
        {
            var (rules, identities, endpoint) = world;
            var state = new PolicyResolver(rules, identities, endpoint).State;
            foreach (var makeFlow in flows)
            {
                var flow = makeFlow(identities);
                var decided = state.Decide(flow.Direction, flow.Peer.Id, flow.Protocol, flow.L4Value).Verdict;
                var reference = ReferenceEvaluator.Decide(rules, endpoint, flow);
                Assert.True(decided == reference, $"{flow}: map state {decided}, reference {reference}");
            }
        }, iter: 400);
    }

    /// <summary>
    /// Trace resolves only one peer's keys and the any-peer keys of one direction. They must be
    /// exactly the full state's keys for that peer and direction, with the same entries, so that
    /// every decision is the full state's (a deny for "any peer" hiding under the peer's allow, or
    /// a default, included).
    /// </summary>
    [Fact]
    public void The_state_restricted_to_one_peer_decides_as_the_full_state()
    {
        Gen.Select(EngineGenerators.World, EngineGenerators.Flow.Array[20]).Sample((world, flows) =>
        {
            var (rules, identities, endpoint) = world;
            var full = new PolicyResolver(rules, identities, endpoint).State;
            foreach (var makeFlow in flows)
            {
                var flow = makeFlow(identities);
                var restricted = PolicyResolver.ResolveFor(rules, endpoint, flow.Direction, flow.Peer);
                var expected = full.Entries.Where(e => e.Key.Direction == flow.Direction && (e.Key.Identity == PolicyKey.AnyIdentity || e.Key.Identity == flow.Peer.Id));
                Assert.Equal(expected.OrderBy(e => e.Key.ToString()), restricted.Entries.OrderBy(e => e.Key.ToString()));
                var (want, got) = (full.Decide(flow.Direction, flow.Peer.Id, flow.Protocol, flow.L4Value), restricted.Decide(flow.Direction, flow.Peer.Id, flow.Protocol, flow.L4Value));
                Assert.Equal((want.Verdict, want.Key, want.Entry), (got.Verdict, got.Key, got.Entry));
                Assert.Equal(want.DefaultDenyOrigins, got.DefaultDenyOrigins);
            }
        }, iter: 400);
    }

    [Fact]
    public void Adding_an_identity_gives_the_delta_to_the_state_resolved_from_scratch()
    {
        Gen.Select(EngineGenerators.World, EngineGenerators.EndpointLabels).Sample((world, extra) =>
        {
            var (rules, identities, endpoint) = world;
            var resolver = new PolicyResolver(rules, identities, endpoint);
            var before = resolver.State;
            if (identities.Find(extra) is not null)
            {
                return;
            }

            var changes = new List<IdentityChange>();
            identities.Changed += changes.Add;
            var added = identities.AddEndpoint(extra);
            var delta = resolver.Apply(Assert.Single(changes));

            var fresh = new PolicyResolver(rules, identities, endpoint).State;
            Assert.Equal(fresh.Entries.OrderBy(e => e.Key.ToString()), resolver.State.Entries.OrderBy(e => e.Key.ToString()));
            Assert.All(delta.Added.Keys, k => Assert.Equal(added.Id, k.Identity));
            Assert.Equal(fresh.Entries.Count - before.Entries.Count, delta.Added.Count);
        }, iter: 200);
    }

    [Fact]
    public void Removing_an_identity_removes_exactly_its_keys()
    {
        EngineGenerators.World.Sample(world =>
        {
            var (rules, identities, endpoint) = world;
            var resolver = new PolicyResolver(rules, identities, endpoint);
            var victim = identities.All.Where(i => i.IsEndpoint && i.Id != endpoint.Id).FirstOrDefault();
            if (victim is null)
            {
                return;
            }

            var changes = new List<IdentityChange>();
            identities.Changed += changes.Add;
            Assert.True(identities.Remove(victim.Id));
            var delta = resolver.Apply(Assert.Single(changes));
            var fresh = new PolicyResolver(rules, identities, endpoint).State;
            Assert.Equal(fresh.Entries.OrderBy(e => e.Key.ToString()), resolver.State.Entries.OrderBy(e => e.Key.ToString()));
            Assert.All(delta.Removed, k => Assert.Equal(victim.Id, k.Identity));
        }, iter: 200);
    }

    [Fact]
    public void A_rule_change_delta_turns_the_old_state_into_the_new()
    {
        Gen.Select(EngineGenerators.World, EngineGenerators.Rules).Sample((world, newRules) =>
        {
            var (rules, identities, endpoint) = world;
            var resolver = new PolicyResolver(rules, identities, endpoint);
            var before = resolver.State.Entries;
            var delta = resolver.SetRules(newRules);

            var applied = before.RemoveRange(delta.Removed).SetItems(delta.Added);
            Assert.Equal(resolver.State.Entries.OrderBy(e => e.Key.ToString()), applied.OrderBy(e => e.Key.ToString()));
        }, iter: 200);
    }

    [Theory]
    [InlineData(0, 65535, 1)]
    [InlineData(80, 80, 1)]
    [InlineData(8000, 8081, 3)]
    [InlineData(1, 65535, 16)]
    public void Port_ranges_split_into_the_fewest_prefixes(int low, int high, int count)
    {
        var prefixes = PrefixRanges.Split(low, high).ToList();
        Assert.Equal(count, prefixes.Count);
        var covered = prefixes.Sum(p => 1 << (16 - p.PrefixLength));
        Assert.Equal(high - low + 1, covered);
        Assert.All(Enumerable.Range(low, high - low + 1).Where(v => v % 97 == 0 || v == low || v == high),
            v => Assert.Single(prefixes, p => new PolicyKey(default, 0, 6, p.Value, p.PrefixLength).Matches((ushort)v)));
    }

    [Fact]
    public void Icmp_type_zero_and_any_icmp_are_different_keys()
    {
        var echoReply = new PolicyKey(Rules.TrafficDirection.Ingress, 0, Membrane.Policy.Values.IpProtocols.Icmp, 0, 8);
        var anyIcmp = new PolicyKey(Rules.TrafficDirection.Ingress, 0, Membrane.Policy.Values.IpProtocols.Icmp, 0, 0);
        Assert.NotEqual(echoReply, anyIcmp);
        Assert.True(echoReply.Matches(0x0000));
        Assert.False(echoReply.Matches(0x0800));
        Assert.True(anyIcmp.Matches(0x0800));
    }
}
