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

    /// <summary>
    /// Pins replaced rather than removed, while the agent was down: a map by another of the same layout, a program by
    /// one that lets everything through, a link by another endpoint's. None is taken back as it is: the datapath whose
    /// programs do not use the maps pinned beside them is replaced whole (its programs with it, on every endpoint), and
    /// a link pinned at another endpoint's path gives way to one of its own. Enforcement is then what the policies say,
    /// and what the agent says it is.
    /// </summary>
    [Theory]
    [InlineData("map")]
    [InlineData("program")]
    [InlineData("link")]
    [InlineData("swapped maps")]
    [InlineData("missing map")]
    [InlineData("moved link")]
    [InlineData("swapped links")]
    public async Task A_pin_replaced_while_the_agent_was_down_is_not_taken_back(string replaced)
    {
        Root.Require();
        var (web, db, other) = await StartAsync();
        var datapath = Path.Combine(_agent.PinRoot, "datapath");
        if (replaced == "link")
        {
            // db's ingress link pinned at web's path (web's own goes with its pin, when the agent dies).
            using var dbLink = Membrane.Bpf.Links.BpfLink.OpenPinned(Path.Combine(_agent.PinRoot, "links", $"{db.Name}_mbr_to_ep"));
            File.Delete(Path.Combine(_agent.PinRoot, "links", $"{web.Name}_mbr_to_ep"));
            dbLink.Pin(Path.Combine(_agent.PinRoot, "links", $"{web.Name}_mbr_to_ep"));
            _agent.Kill();
        }
        else
        {
            Assert.True(_agent.Stop());
            if (replaced == "map")
            {
                using var original = Membrane.Bpf.Maps.BpfMap.OpenPinned(Path.Combine(datapath, "mbr_policy"));
                using var impostor = Membrane.Bpf.Maps.BpfMap.Create(original.Spec);
                File.Delete(Path.Combine(datapath, "mbr_policy"));
                impostor.Pin(Path.Combine(datapath, "mbr_policy"));
            }
            else if (replaced == "swapped maps")
            {
                // Two of this version's maps of different layouts under each other's names: incomplete, not another
                // version's (which would stop the agent), so it is replaced.
                var ct = Path.Combine(datapath, "mbr_ct");
                var fragments = Path.Combine(datapath, "mbr_fragments");
                // rename(2), as mv does: File.Move would link and copy, which bpffs refuses (as it refuses names with a dot).
                Command.Check("mv", ct, ct + "_aside");
                Command.Check("mv", fragments, ct);
                Command.Check("mv", ct + "_aside", fragments);
            }
            else if (replaced == "missing map")
            {
                File.Delete(Path.Combine(datapath, "mbr_fragments"));
            }
            else if (replaced == "moved link")
            {
                // db's ingress link, still attached, pinned elsewhere: the kernel refuses to attach its program there
                // again (EEXIST), so the agent must find the link and take it back.
                var pin = Path.Combine(_agent.PinRoot, "links", $"{db.Name}_mbr_to_ep");
                Command.Check("mv", pin, Path.Combine(_agent.PinRoot, "mbr_moved_aside"));
            }
            else if (replaced == "swapped links")
            {
                var from = Path.Combine(_agent.PinRoot, "links", $"{db.Name}_mbr_from_ep");
                var to = Path.Combine(_agent.PinRoot, "links", $"{db.Name}_mbr_to_ep");
                Command.Check("mv", from, from + "_aside");
                Command.Check("mv", to, from);
                Command.Check("mv", from + "_aside", to);
            }
            else
            {
                using var passAll = Membrane.Bpf.Programs.BpfProgram.Load(new Membrane.Bpf.Programs.ProgramSpec("mbr_to_ep", Membrane.Bpf.Programs.ProgramType.SchedCls,
                    [Membrane.Bpf.Asm.AluOperationExtensions.Imm(Membrane.Bpf.Asm.AluOperation.Mov, Membrane.Bpf.Asm.Register.R0, 0), Membrane.Bpf.Asm.Instruction.Exit()]));
                File.Delete(Path.Combine(datapath, "mbr_to_ep"));
                passAll.Pin(Path.Combine(datapath, "mbr_to_ep"));
            }
        }

        await _agent.StartAsync();
        if (!replaced.Contains("link"))
        {
            Assert.Contains("was not taken back", _agent.Log);
        }
        else
        {
            // Each endpoint's two links pinned where the agent keeps them, each holding the link of its own hook.
            foreach (var endpoint in new[] { web, db, other })
            {
                foreach (var (program, direction) in new[] { ("mbr_from_ep", Membrane.Bpf.Links.TcxDirection.Ingress), ("mbr_to_ep", Membrane.Bpf.Links.TcxDirection.Egress) })
                {
                    using var link = Membrane.Bpf.Links.BpfLink.OpenPinned(Path.Combine(_agent.PinRoot, "links", $"{endpoint.Name}_{program}"));
                    Assert.Equal(direction, link.TcxTarget!.Value.Direction);
                }
            }
        }

        await AssertEnforcedAsync(web, db, other, $"with the {replaced} replaced");
        Assert.True((await EndpointTraffic.PingEventuallyAsync(db.Name, web.IPv4, 3)).Replied, "db -> web: no policy selects web");

        // And the agent's changes reach the packets: with the policy gone, other may ping db.
        _agent.CliOk("policy", "delete", "--all");
        Assert.True((await EndpointTraffic.PingEventuallyAsync(other.Name, db.IPv4, 3)).Replied, $"other -> db with the policy deleted, the {replaced} replaced before");
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
