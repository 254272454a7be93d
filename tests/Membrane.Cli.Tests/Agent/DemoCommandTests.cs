using Membrane.Testing;
using System.Text.Json;
using Membrane.Netlink.Namespaces;

namespace Membrane.Cli.Tests.Agent;

/// <summary>The README's main job: the demo's flows get the verdicts its policy gives them, its drops are explained by the monitor, and it leaves nothing behind.</summary>
[Collection(AgentProcessCollection.Name)]
public sealed class DemoCommandTests
{
    [Fact]
    public void The_demo_enforces_its_ICMP_policy_on_real_traffic_and_leaves_nothing_behind()
    {
        Root.Require();

        var pins = $"/sys/fs/bpf/membrane-test/demo-{Environment.ProcessId}";
        var (code, stdout, stderr) = CliHarness.Run("demo", "-o", "json", "--bpffs-root", pins);
        Assert.True(code == 0, stderr + stdout);
        var flows = JsonDocument.Parse(stdout).RootElement.EnumerateArray().ToList();
        Assert.Equal(7, flows.Count);
        Assert.All(flows, f => Assert.Equal(f.GetProperty("expected").GetString(), f.GetProperty("observed").GetString()));
        Assert.Equal(3, flows.Count(f => f.GetProperty("observed").GetString() == "allowed"));
        foreach (var denied in flows.Where(f => f.GetProperty("from").GetString() == "other" && f.GetProperty("flow").GetString()!.StartsWith("ping", StringComparison.Ordinal)))
        {
            Assert.Contains(denied.GetProperty("events").EnumerateArray(), e => e.GetString()!.Contains("EchoRequest", StringComparison.Ordinal) &&
                e.GetString()!.Contains("DROPPED ingress", StringComparison.Ordinal));
        }

        Assert.Contains("demo: cleaning up", stderr);
        Assert.Empty(Directory.GetFiles(NetworkNamespace.RunDirectory, "mbrdemo*"));
        Assert.False(Directory.Exists(pins), "the demo's pins are removed");
        TestPinRoot.RemoveIfEmpty();
    }
}
