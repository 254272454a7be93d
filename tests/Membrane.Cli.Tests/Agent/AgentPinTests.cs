using System.Text.Json;
using Membrane.Testing;

namespace Membrane.Cli.Tests.Agent;

/// <summary>
/// Pins removed from outside (<c>rm -r</c> of the agent's <c>links/</c> and <c>datapath/</c>) never make enforcement
/// fail open. A running agent notices, says so in its status and its log, and pins again, so a <c>kill -9</c> after
/// that detaches nothing; a clean stop pins again before it lets go; and when the agent is killed before it could pin
/// again, the endpoints fail closed (their backstop drops everything) until the next agent takes them back. Real agent,
/// real pings: web may ping db, other may not.
/// </summary>
[Collection(AgentProcessCollection.Name)]
public sealed class AgentPinTests : IDisposable
{
    private readonly AgentProcess _agent = new("pin");

    [Fact]
    public async Task Removed_pins_are_noticed_and_made_again_so_a_kill_after_them_detaches_nothing()
    {
        Root.Require();
        var (web, db, other) = await StartAsync();
        RemovePins();

        // Within a few of its one-second checks the agent has pinned everything again, and says it did.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        JsonElement pins;
        while ((pins = Status().GetProperty("pins")).GetProperty("state").GetString() != "repinned" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200, TestContext.Current.CancellationToken);
        }

        Assert.True(pins.GetProperty("state").GetString() == "repinned", $"status pins: {pins}\n{_agent.Log}");
        Assert.True(pins.GetProperty("repinned").GetInt32() >= 18, $"two links for each of three endpoints, nine maps and three programs: {pins}");
        Assert.Contains("pinned again", _agent.Log);
        Assert.Contains("pins:            repinned", _agent.CliOk("status"));
        Assert.Equal(6, Directory.GetFiles(Path.Combine(_agent.PinRoot, "links")).Length);

        // kill -9: nothing detaches, and the next agent takes everything back from the pins made again.
        _agent.Kill();
        await AssertEnforcedAsync(web, db, other, "after the kill");
        await _agent.StartAsync();
        await AssertEnforcedAsync(web, db, other, "after the restart");
        Assert.Equal("ok", Status().GetProperty("pins").GetProperty("state").GetString());
    }

    [Fact]
    public async Task A_stop_pins_again_before_it_lets_go()
    {
        Root.Require();
        _agent.ExtraArguments.AddRange(["--pin-check-interval", "3600"]); // only the stop itself can notice
        var (web, db, other) = await StartAsync();
        RemovePins();
        Assert.True(_agent.Stop(), $"the agent did not stop\n{_agent.Log}");
        Assert.Contains("pinned again at stop", _agent.Log);
        await AssertEnforcedAsync(web, db, other, "after the stop");
        await _agent.StartAsync();
        await AssertEnforcedAsync(web, db, other, "after the restart");
    }

    [Fact]
    public async Task Killed_before_it_could_pin_again_the_endpoints_fail_closed_until_the_next_agent()
    {
        Root.Require();
        _agent.ExtraArguments.AddRange(["--pin-check-interval", "3600"]); // the kill comes before any check
        var (web, db, other) = await StartAsync();
        RemovePins();
        _agent.Kill();

        // The links detached with the agent's descriptors; the backstop behind them drops everything: what was denied
        // stays denied, and what was allowed waits for the next agent rather than passing unfiltered.
        Assert.False((await EndpointTraffic.PingAsync(other.Name, db.IPv4)).Replied, "other -> db with the links gone: it must not pass");
        Assert.False((await EndpointTraffic.PingAsync(web.Name, db.IPv4)).Replied, "web -> db with the links gone: fail closed");
        var tc = Command.Check("tc", "-n", _agent.Node, "filter", "show", "dev", db.HostInterface, "ingress");
        Assert.Contains("mbr_backstop", tc);

        // The next agent attaches them again (their pins are gone) in front of the backstop.
        await _agent.StartAsync();
        await AssertEnforcedAsync(web, db, other, "after the restart");
        Assert.Equal(6, Directory.GetFiles(Path.Combine(_agent.PinRoot, "links")).Length);
    }

    private async Task<(AgentEndpoint Web, AgentEndpoint Db, AgentEndpoint Other)> StartAsync()
    {
        await _agent.StartAsync();
        var web = _agent.CreateEndpoint(_agent.EndpointName("web"), "k8s:app=web");
        var db = _agent.CreateEndpoint(_agent.EndpointName("db"), "k8s:app=db");
        var other = _agent.CreateEndpoint(_agent.EndpointName("other"), "k8s:app=other");
        Assert.Equal(0, _agent.Import("db", AgentPolicies.DbAcceptsIPv4PingFromWeb).Code);
        await AssertEnforcedAsync(web, db, other, "before the pins went");
        Assert.Equal("ok", Status().GetProperty("pins").GetProperty("state").GetString());
        return (web, db, other);
    }

    /// <summary>As an operator might: everything under the agent's bpffs root, links and datapath both.</summary>
    private void RemovePins()
    {
        Directory.Delete(Path.Combine(_agent.PinRoot, "links"), recursive: true);
        Directory.Delete(Path.Combine(_agent.PinRoot, "datapath"), recursive: true);
    }

    private static async Task AssertEnforcedAsync(AgentEndpoint web, AgentEndpoint db, AgentEndpoint other, string when)
    {
        Assert.True((await EndpointTraffic.PingEventuallyAsync(web.Name, db.IPv4, 3)).Replied, $"web -> db {when}");
        Assert.False((await EndpointTraffic.PingAsync(other.Name, db.IPv4)).Replied, $"other -> db {when}: denied, never let through");
    }

    private JsonElement Status() => JsonDocument.Parse(_agent.CliOk("status", "-o", "json")).RootElement;

    public void Dispose() => _agent.Dispose();
}
