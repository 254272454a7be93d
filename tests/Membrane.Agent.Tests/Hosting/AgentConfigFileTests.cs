using Membrane.Agent.Hosting;

namespace Membrane.Agent.Tests.Hosting;

/// <summary>The agent's config file: every setting read, and every mistake named with its file, line and setting.</summary>
public sealed class AgentConfigFileTests
{
    [Fact]
    public void Every_setting_is_read_over_the_defaults()
    {
        var options = AgentConfigFile.Parse("agent.yaml", """
            # the node's agent
            stateDir: /var/lib/membrane-2
            socket: /run/membrane-2/membrane.sock
            bpffsRoot: /sys/fs/bpf/membrane-2
            nodeName: node-2
            ipv4Pool: 10.201.0.0/16
            ipv6Pool: fd00:201::/64
            metrics: none
            resyncInterval: 5
            eventRate: 20000
            """, new AgentHostOptions());
        Assert.Equal("/var/lib/membrane-2", options.StateDirectory);
        Assert.Equal("/run/membrane-2/membrane.sock", options.Socket);
        Assert.Equal("/sys/fs/bpf/membrane-2", options.BpffsRoot);
        Assert.Equal("node-2", options.NodeName);
        Assert.Equal("10.201.0.0/16", options.IPv4Pool.ToString());
        Assert.Equal("fd00:201::/64", options.IPv6Pool.ToString());
        Assert.Null(options.Metrics);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ResyncInterval);
        Assert.Equal(20_000u, options.EventRate);
    }

    [Fact]
    public void An_empty_file_keeps_the_defaults()
    {
        var defaults = new AgentHostOptions();
        Assert.Equal(defaults, AgentConfigFile.Parse("agent.yaml", "# nothing set\n", defaults));
    }

    [Theory]
    [InlineData("stateDir: /a\nsokcet: /b\n", "agent.yaml:2:1: sokcet: unknown setting")]
    [InlineData("socket: /a\nsocket: /b\n", "agent.yaml:2:1: Duplicate key socket")]
    [InlineData("ipv4Pool: fd00::/64\n", "agent.yaml:1:11: ipv4Pool: \"fd00::/64\" is not an IPv4 prefix")]
    [InlineData("resyncInterval: 0\n", "agent.yaml:1:17: resyncInterval: \"0\" is not a number of seconds from 0.1 to 3600")]
    [InlineData("metrics: 10.0.0.1:9962\n", "agent.yaml:1:10: metrics: \"10.0.0.1:9962\" is not a loopback address")]
    [InlineData("socket:\n", "agent.yaml:1:8: socket: needs a value")]
    [InlineData("socket: [/a]\n", "socket: needs a value")]
    [InlineData("- socket\n", "is one mapping of settings")]
    [InlineData("socket: \"unterminated\n", "agent.yaml:")]
    public void A_mistake_is_named_with_its_line_and_setting(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => AgentConfigFile.Parse("agent.yaml", text, new AgentHostOptions()));
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Deep_nesting_is_refused_before_the_parser_recurses()
    {
        var error = Assert.Throws<FormatException>(() => AgentConfigFile.Parse("agent.yaml", "socket: " + new string('[', 60_000), new AgentHostOptions()));
        Assert.Contains("nested too deeply", error.Message);
    }

    [Fact]
    public void A_file_too_large_is_refused_unread()
    {
        var path = Path.Combine(Path.GetTempPath(), $"mbr-config-{Guid.NewGuid():N}.yaml");
        try
        {
            File.WriteAllText(path, "# " + new string('x', AgentConfigFile.MaxBytes) + "\n");
            Assert.Contains("at most", Assert.Throws<FormatException>(() => AgentConfigFile.Read(path, new AgentHostOptions())).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
