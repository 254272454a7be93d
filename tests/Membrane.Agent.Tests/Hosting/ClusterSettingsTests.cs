using Membrane.Agent.Hosting;

namespace Membrane.Agent.Tests.Hosting;

/// <summary>Cluster mode's settings in the config file: each read, each mistake named, and cluster mode never half on.</summary>
public sealed class ClusterSettingsTests
{
    [Fact]
    public void Every_cluster_setting_is_read()
    {
        var options = AgentConfigFile.Parse("agent.yaml", """
            cluster: true
            etcdEndpoints: https://10.0.0.1:2379, https://[fd00::1]:2379
            etcdCa: /etc/membrane/etcd-ca.pem
            etcdCert: /etc/membrane/etcd.pem
            etcdKey: /etc/membrane/etcd-key.pem
            clusterPoolIPv4: 10.250.0.0/16
            clusterPoolIPv6: fd00:250::/96
            nodeCidrSize: 26
            nodeCidrSizeIPv6: 120
            nodeAddresses: 192.168.1.10,fd00:1::10
            leaseTtl: 30
            identityGrace: 60
            """, new AgentHostOptions());
        var cluster = options.Cluster!;
        Assert.Null(options.Problem());
        Assert.Equal(["https://10.0.0.1:2379/", "https://[fd00::1]:2379/"], cluster.Etcd.Endpoints.Select(e => e.ToString()));
        Assert.Equal(("/etc/membrane/etcd-ca.pem", "/etc/membrane/etcd.pem", "/etc/membrane/etcd-key.pem"), (cluster.Etcd.CaFile, cluster.Etcd.CertFile, cluster.Etcd.KeyFile));
        Assert.Equal(("10.250.0.0/16", "fd00:250::/96", 26, 120), (cluster.IPv4Pool.ToString(), cluster.IPv6Pool.ToString(), cluster.IPv4NodePrefix, cluster.IPv6NodePrefix));
        Assert.Equal(["192.168.1.10", "fd00:1::10"], cluster.NodeAddresses.Select(a => a.ToString()));
        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60)), (cluster.LeaseTtl, cluster.IdentityGrace));
    }

    [Fact]
    public void Without_cluster_mode_the_agent_runs_alone_and_cluster_settings_alone_are_a_mistake()
    {
        Assert.Null(new AgentHostOptions().Cluster);
        Assert.Null(new AgentHostOptions().Problem());
        var settingsOnly = AgentConfigFile.Parse("agent.yaml", "etcdEndpoints: http://10.0.0.1:2379\n", new AgentHostOptions());
        Assert.Null(settingsOnly.Cluster);
        Assert.Contains("cluster mode is not on", settingsOnly.Problem());
        var modeOnly = AgentConfigFile.Parse("agent.yaml", "cluster: true\n", new AgentHostOptions());
        Assert.Contains("cluster mode needs etcd", modeOnly.Problem());
    }

    [Theory]
    [InlineData("etcdEndpoints: 10.0.0.1:2379\n", "agent.yaml:1:16: etcdEndpoints: \"10.0.0.1:2379\" is not an etcd client URL")]
    [InlineData("etcdEndpoints: http://10.0.0.1\n", "(with its port)")]
    [InlineData("etcdEndpoints: http://a:2379,https://b:2379\n", "mix http and https")]
    [InlineData("nodeCidrSize: 31\n", "agent.yaml:1:15: nodeCidrSize: \"31\" is not a prefix length from 8 to 30")]
    [InlineData("nodeAddresses: 127.0.0.1\n", "is not a node's underlay address")]
    [InlineData("nodeAddresses: 10.0.0.1,10.0.0.2\n", "one underlay address per family")]
    [InlineData("clusterPoolIPv4: fd00::/64\n", "is not an IPv4 prefix")]
    [InlineData("leaseTtl: 1\n", "is not a lease TTL: seconds from 2 to 600")]
    [InlineData("cluster: yes\n", "\"yes\" is not true or false")]
    public void A_mistake_in_a_cluster_setting_is_named_with_its_line(string text, string expected)
    {
        var error = Assert.Throws<FormatException>(() => AgentConfigFile.Parse("agent.yaml", text, new AgentHostOptions()));
        Assert.Contains(expected, error.Message);
    }
}
