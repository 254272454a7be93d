using Membrane.Bpf.Maps;
using Membrane.Datapath.Layout;
using Membrane.Testing;

namespace Membrane.Cli.Tests.Agent;

/// <summary>
/// The periodic resync: the kernel's maps are tampered with from outside the agent (a policy entry deleted, another
/// changed to a deny-all, an ipcache entry given another identity, one added that nothing wants), and within a few of
/// its one-second passes the agent has put back exactly what it wrote, says so in its log, and counts it in its
/// metrics; traffic is decided by the policy again. Real agent, real maps.
/// </summary>
[Collection(AgentProcessCollection.Name)]
public sealed class AgentResyncTests : IDisposable
{
    private readonly AgentProcess _agent = new("rsy");

    [Fact]
    public async Task Policy_and_ipcache_entries_changed_from_outside_are_put_back_and_counted()
    {
        Root.Require();
        _agent.ExtraArguments.AddRange(["--resync-interval", "1"]);
        await _agent.StartAsync();
        var web = _agent.CreateEndpoint(_agent.EndpointName("web"), "k8s:app=web");
        var db = _agent.CreateEndpoint(_agent.EndpointName("db"), "k8s:app=db");
        Assert.Equal(0, _agent.Import("db", AgentPolicies.DbAcceptsIPv4PingFromWeb).Code);
        Assert.True((await EndpointTraffic.PingEventuallyAsync(web.Name, db.IPv4, 3)).Replied, "web -> db before");

        var datapath = Path.Combine(_agent.PinRoot, "datapath");
        using var policy = BpfMap.OpenPinned(Path.Combine(datapath, "mbr_policy"));
        using var ipcache = BpfMap.OpenPinned(Path.Combine(datapath, "mbr_ipcache"));
        var policyBefore = policy.Entries<PolicyMapKey, PolicyMapValue>().ToDictionary(e => e.Key, e => e.Value);
        var ipcacheBefore = ipcache.Entries<IpcacheKey, IpcacheValue>().ToDictionary(e => e.Key, e => e.Value);

        // Tampered: the first policy entry gone, the second changed, web's address given world's identity, and a
        // prefix nothing asked for.
        var entries = policyBefore.Keys.ToList();
        Assert.True(entries.Count >= 2, $"the policy map holds {entries.Count} entries");
        policy.Delete(entries[0]);
        policy.Update(entries[1], policyBefore[entries[1]] with { Cookie = policyBefore[entries[1]].Cookie ^ 0xffff });
        ipcache.Update(IpcacheKey.Host(System.Net.IPAddress.Parse(web.IPv4)), new IpcacheValue { Identity = 2 });
        var stray = IpcacheKey.Of(System.Net.IPNetwork.Parse("10.239.77.0/24"));
        ipcache.Update(stray, new IpcacheValue { Identity = 2 });

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!(Same(policy.Entries<PolicyMapKey, PolicyMapValue>(), policyBefore) && Same(ipcache.Entries<IpcacheKey, IpcacheValue>(), ipcacheBefore)) &&
            DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        Assert.True(Same(policy.Entries<PolicyMapKey, PolicyMapValue>(), policyBefore), "the policy map is what the agent wrote");
        Assert.True(Same(ipcache.Entries<IpcacheKey, IpcacheValue>(), ipcacheBefore), "the ipcache is what the agent wrote");
        Assert.Contains("were put back", _agent.Log);
        Assert.True((await EndpointTraffic.PingEventuallyAsync(web.Name, db.IPv4, 3)).Replied, "web -> db after the repair");

        var metrics = await _agent.ScrapeAsync(TestContext.Current.CancellationToken);
        Assert.Matches(@"membrane_drift_repaired_total\{map=""policy""\} [2-9]", metrics);
        Assert.Matches(@"membrane_drift_repaired_total\{map=""ipcache""\} [2-9]", metrics);
    }

    private static bool Same<TKey, TValue>(IEnumerable<KeyValuePair<TKey, TValue>> entries, Dictionary<TKey, TValue> expected)
        where TKey : notnull
    {
        var now = entries.ToDictionary(e => e.Key, e => e.Value);
        return now.Count == expected.Count && now.All(e => expected.TryGetValue(e.Key, out var v) && EqualityComparer<TValue>.Default.Equals(v, e.Value));
    }

    public void Dispose() => _agent.Dispose();
}
