using System.Text.Json;
using Membrane.Cli.Commands;

namespace Membrane.Cli.Tests;

public sealed class PolicyTraceCommandTests : IDisposable
{
    private const string Web = "k8s:app=web,k8s:io.kubernetes.pod.namespace=shop";
    private const string Db = "k8s:app=db,k8s:io.kubernetes.pod.namespace=shop";

    private const string Policy = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: db, namespace: shop}
        spec:
          endpointSelector: {matchLabels: {app: db}}
          ingress:
          - fromEndpoints: [{matchLabels: {app: web}}]
            toPorts: [{ports: [{port: "5432", protocol: TCP}]}]
          - fromEndpoints: [{matchLabels: {app: web}}]
            icmps: [{fields: [{type: EchoRequest}]}]
        """;

    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Allowed_ping_names_the_rule_and_its_line()
    {
        var file = Write("db.yaml", Policy);
        var (code, stdout, _) = Run("policy", "trace", "-f", file, "--src", Web, "--dst", Db, "--icmp", "EchoRequest");

        Assert.Equal(0, code);
        Assert.Contains($"ALLOWED: allowed by CiliumNetworkPolicy shop/db spec.ingress[1] ({file}:9)", stdout);
        Assert.EndsWith("Final verdict: ALLOWED", stdout.TrimEnd());
    }

    [Fact]
    public void Ipv6_ping_is_denied_by_default_and_says_which_policy_made_it_so()
    {
        var file = Write("db.yaml", Policy);
        var (code, stdout, _) = Run("policy", "trace", "-f", file, "--src", Web, "--dst", Db, "--icmp", "EchoRequest/IPv6");

        Assert.Equal(0, code);
        Assert.Contains("DENIED: denied by default: no rule allows it, and CiliumNetworkPolicy shop/db spec", stdout);
        Assert.EndsWith("Final verdict: DENIED", stdout.TrimEnd());
    }

    [Fact]
    public void Json_carries_both_decisions_and_the_final_verdict()
    {
        var file = Write("db.yaml", Policy);
        var (code, stdout, _) = Run("policy", "trace", "-f", file, "--src", Web, "--dst", Db, "--dport", "5432/TCP", "-o", "json");

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(stdout);
        Assert.Equal("allowed", json.RootElement.GetProperty("final").GetString());
        Assert.Equal("allowed", json.RootElement.GetProperty("egress").GetProperty("verdict").GetString());
        var rule = json.RootElement.GetProperty("ingress").GetProperty("rules")[0];
        Assert.Equal(("db", "spec.ingress[0]", 7), (rule.GetProperty("name").GetString(), rule.GetProperty("path").GetString(), rule.GetProperty("line").GetInt32()));
    }

    [Fact]
    public void A_world_destination_is_traced_by_address()
    {
        var file = Write("egress.yaml", """
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: web, namespace: shop}
            spec:
              endpointSelector: {matchLabels: {app: web}}
              egress: [{toCIDR: [203.0.113.0/24], icmps: [{fields: [{type: 8}]}]}]
            """);
        var (_, allowed, _) = Run("policy", "trace", "-f", file, "--src", Web, "--dst-ip", "203.0.113.5", "--icmp", "8");
        var (_, denied, _) = Run("policy", "trace", "-f", file, "--src", Web, "--dst-ip", "198.51.100.5", "--icmp", "8");

        Assert.Contains("Ingress to destination (16777216):\n  not enforced", allowed.ReplaceLineEndings("\n"));
        Assert.EndsWith("Final verdict: ALLOWED", allowed.TrimEnd());
        Assert.EndsWith("Final verdict: DENIED", denied.TrimEnd());
    }

    [Fact]
    public void Invalid_policies_are_refused_with_exit_1()
    {
        var file = Write("bad.yaml", Policy.Replace("EchoRequest", "NeighborSolicitation"));
        var (code, stdout, stderr) = Run("policy", "trace", "-f", file, "--src", Web, "--dst", Db, "--icmp", "8");

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Contains("NeighborSolicitation is an ICMPv6 type (135); set family: IPv6", stderr);
        Assert.Contains("nothing was traced", stderr);
    }

    [Theory]
    [InlineData("--dport", "80/TCP", "--icmp", "8")]
    [InlineData("--icmp", "NeighborSolicitation")]
    [InlineData("--dport", "http/TCP")]
    public void Bad_packets_are_usage_errors(params string[] packet)
    {
        var file = Write("db.yaml", Policy);
        var (code, _, stderr) = Run(["policy", "trace", "-f", file, "--src", Web, "--dst", Db, .. packet]);
        Assert.Equal(2, code);
        Assert.StartsWith("membrane:", stderr);
    }

    [Fact]
    public void Resolve_prints_the_map_state_with_peers_from_the_identities_file()
    {
        var file = Write("db.yaml", Policy);
        var identities = Write("ids.yaml", $"identities:\n- labels: [{Web.Replace(",", ", ")}]\n  id: 1000\n");
        var (code, stdout, _) = Run("policy", "resolve", "-f", file, "--endpoint", Db, "--identities", identities);

        Assert.Equal(0, code);
        Assert.Contains("Ingress default: deny", stdout);
        Assert.Matches(@"INGRESS\s+1000 k8s:app=web\S*\s+TCP\s+5432\s+ALLOW\s+CiliumNetworkPolicy shop/db spec.ingress\[0\]", stdout);
        Assert.Matches(@"INGRESS\s+1000 k8s:app=web\S*\s+ICMP\s+EchoRequest \(8\)\s+ALLOW", stdout);
        Assert.EndsWith("2 entries", stdout.TrimEnd());
    }

    [Fact]
    public void A_broken_identities_file_names_its_line()
    {
        var file = Write("db.yaml", Policy);
        var identities = Write("ids.yaml", "identities:\n- labels: [k8s:app=x]\n  ips: [not-an-ip]\n");
        var (code, _, stderr) = Run("policy", "resolve", "-f", file, "--endpoint", Db, "--identities", identities);

        Assert.Equal(2, code);
        Assert.Contains($"{identities}:3:9: identities[0].ips: is not an IP address", stderr);
    }

    [Fact]
    public void An_identities_file_of_the_wrong_shape_is_a_clear_error()
    {
        var file = Write("db.yaml", Policy);
        var identities = Write("ids.yaml", "identities:\n- labels: [k8s:app=x]\n  ips: 10.0.0.1\n");
        var (code, _, stderr) = Run("policy", "resolve", "-f", file, "--endpoint", Db, "--identities", identities);

        Assert.Equal(2, code);
        Assert.Contains($"{identities}:2:3: identities[0]: has the wrong shape", stderr);
    }

    private string Write(string name, string text) => _cli.Write(name, text);

    private static (int Code, string Stdout, string Stderr) Run(params string[] args) => CliHarness.Run(args);
}
