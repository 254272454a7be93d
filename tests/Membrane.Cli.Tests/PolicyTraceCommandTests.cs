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

    private const string NameRule =
        "a label name is at most 63 characters of [A-Za-z0-9-_.], beginning and ending with a letter or digit, as in Kubernetes";

    private const string ValueRule =
        "a label value is empty or at most 63 characters of [A-Za-z0-9-_.], beginning and ending with a letter or digit, as in Kubernetes";

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
    public void A_broken_identities_file_names_its_line_and_nothing_is_resolved()
    {
        var file = Write("db.yaml", Policy);
        var identities = Write("ids.yaml", "identities:\n- labels: [k8s:app=x]\n  ips: [not-an-ip]\n");
        var (code, stdout, stderr) = Run("policy", "resolve", "-f", file, "--endpoint", Db, "--identities", identities);

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal(
            $"{identities}:3:9: error MBR7017: identities[0].ips[0]: invalid value \"not-an-ip\": not an IP address: an IPv4 address is four decimal numbers from 0 to 255, like 10.0.0.1\n"
            + "membrane: the identities file is invalid (1 error); nothing was traced or resolved\n",
            stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void A_label_an_identities_file_gets_wrong_is_named_escaped_by_file_line_and_column()
    {
        var file = Write("db.yaml", Policy);
        var identities = Write("ids.yaml", "identities:\n- labels: [\"k8s:app=x\\u202E\"]\n- labels: {app: \"y\\n\"}\n");
        var (code, stdout, stderr) = Run("policy", "resolve", "-f", file, "--endpoint", Db, "--identities", identities);

        Assert.Equal((1, ""), (code, stdout));
        Assert.Equal(
            [
                $"{identities}:2:12: error MBR7011: identities[0].labels[0]: \"k8s:app=x\\u202E\": {ValueRule}",
                $"{identities}:3:17: error MBR7011: identities[1].labels.app: \"app=y\\n\": {ValueRule}",
                "membrane: the identities file is invalid (2 errors); nothing was traced or resolved",
            ],
            stderr.ReplaceLineEndings("\n").TrimEnd().Split('\n'));
    }

    [Fact]
    public void An_identities_file_of_the_wrong_shape_is_a_clear_error()
    {
        var file = Write("db.yaml", Policy);
        var identities = Write("ids.yaml", "identities:\n- labels: [k8s:app=x]\n  ips: 10.0.0.1\n");
        var (code, _, stderr) = Run("policy", "resolve", "-f", file, "--endpoint", Db, "--identities", identities);

        Assert.Equal(1, code);
        Assert.StartsWith($"{identities}:3:8: error MBR7015: identities[0].ips: must be a list of addresses, found a string; write one address as [10.0.0.1]\n", stderr.ReplaceLineEndings("\n"));
    }

    [Fact]
    public void Every_error_of_an_identities_file_is_reported_at_once_and_nothing_is_traced()
    {
        var file = Write("db.yaml", Policy);
        var identities = Write("ids.yaml", """
            identities:
            - labels: [k8s:app=web]
              id: 1000
              ips: [10.0.0.1]
            - labels: [k8s:app=web]
              id: 1000
              ips: [10.0.0.1]
            """);
        var (code, stdout, stderr) = Run("policy", "trace", "-f", file, "--src", Web, "--dst", Db, "--dport", "5432/TCP", "--identities", identities);

        Assert.Equal(1, code);
        Assert.Equal("", stdout);
        Assert.Equal(
            [
                $"{identities}:5:11: error MBR7023: identities[1].labels: duplicate value \"k8s:app=web\": the same labels as identities[0] (line 2)",
                $"{identities}:6:7: error MBR7021: identities[1].id: duplicate value \"1000\": the same number as identities[0] (line 3)",
                $"{identities}:7:9: error MBR7025: identities[1].ips[0]: duplicate value \"10.0.0.1\": it is already the address of identities[0].ips[0]; the IP cache maps an address to one identity",
                "membrane: the identities file is invalid (3 errors); nothing was traced or resolved",
            ],
            stderr.ReplaceLineEndings("\n").TrimEnd().Split('\n'));
    }

    [Fact]
    public void A_missing_identities_file_or_a_directory_is_a_usage_error_in_plain_words()
    {
        var file = Write("db.yaml", Policy);
        var missing = Path.Combine(_cli.Directory, "nope.yaml");
        var (missingCode, _, missingError) = Run("policy", "resolve", "-f", file, "--endpoint", Db, "--identities", missing);
        var (directoryCode, _, directoryError) = Run("policy", "resolve", "-f", file, "--endpoint", Db, "--identities", _cli.Directory);

        Assert.Equal((2, $"membrane: error MBR1014: {missing}: no such file or directory"), (missingCode, missingError.TrimEnd()));
        Assert.Equal((2, $"membrane: error MBR1015: {_cli.Directory}: is a directory; --identities takes a file"), (directoryCode, directoryError.TrimEnd()));
    }

    [Theory]
    [InlineData("--src", "", "membrane: --src: no labels; an endpoint needs at least one, like k8s:app=web")]
    [InlineData("--src", ",", "membrane: --src: \",\" has an empty label (two commas, or a comma at one end)")]
    [InlineData("--dst", " ", "membrane: --dst: \" \": " + NameRule)]
    [InlineData("--dst", "k8s:=db", "membrane: --dst: \"k8s:=db\": a label needs a key; write source:key=value, like k8s:app=web")]
    [InlineData("--src", "k8s:app=a,k8s:app=b", "membrane: --src: the label k8s:app has two values, \"a\" and \"b\"")]
    [InlineData("--src", "k8s:app=a=b", "membrane: --src: \"k8s:app=a=b\": " + ValueRule)]
    [InlineData("--src", "app=web\n", "membrane: --src: \"app=web\\n\": " + ValueRule)]
    [InlineData("--src", "app=web,\tk8s:io.kubernetes.pod.namespace=shop", "membrane: --src: \"\\tk8s:io.kubernetes.pod.namespace=shop\": \"\\tk8s\" is not a label source; a label is [SOURCE:]KEY[=VALUE], with a source of k8s, reserved, cidr, any, unspec, container")]
    [InlineData("--dst", "app=\u202Ebd", "membrane: --dst: \"app=\\u202Ebd\": " + ValueRule)]
    [InlineData("--dst", "app=db\u200B", "membrane: --dst: \"app=db\\u200B\": " + ValueRule)]
    [InlineData("--dst", "app=caf\u00E9", "membrane: --dst: \"app=caf\\u00E9\": " + ValueRule)]
    [InlineData("--dst", "app=<b>db</b>", "membrane: --dst: \"app=<b>db</b>\": " + ValueRule)]
    [InlineData("--dst", "app =db", "membrane: --dst: \"app =db\": " + NameRule)]
    [InlineData("--dst", "app=-db", "membrane: --dst: \"app=-db\": " + ValueRule)]
    public void Empty_and_malformed_labels_are_usage_errors_naming_the_label_escaped(string option, string labels, string message)
    {
        var file = Write("db.yaml", Policy);
        string[] args = option == "--src"
            ? ["policy", "trace", "-f", file, "--src", labels, "--dst", Db, "--dport", "5432/TCP"]
            : ["policy", "trace", "-f", file, "--src", Web, "--dst", labels, "--dport", "5432/TCP"];
        var (code, stdout, stderr) = Run(args);

        Assert.Equal((2, "", message), (code, stdout, stderr.TrimEnd()));
    }

    [Theory]
    [InlineData("")]
    [InlineData(",")]
    [InlineData("app=db\n")]
    public void Resolve_refuses_an_empty_or_malformed_endpoint(string labels)
    {
        var file = Write("db.yaml", Policy);
        var (code, stdout, stderr) = Run("policy", "resolve", "-f", file, "--endpoint", labels);

        Assert.Equal((2, ""), (code, stdout));
        Assert.StartsWith("membrane: --endpoint: ", stderr);
    }

    [Theory]
    [InlineData("--src-ip", "10.1", "an IPv4 address has four numbers, like 10.0.0.1; shortened forms such as 10.1 mean different addresses to different readers")]
    [InlineData("--src-ip", "010.0.0.1", "a number in an IPv4 address has a leading zero, which some readers take as octal; remove it")]
    [InlineData("--dst-ip", "[2001:db8::1]", "write an IPv6 address without brackets, like 2001:db8::1")]
    [InlineData("--dst-ip", "fe80::1%eth0", "an address with a zone (%) names an interface, which a policy cannot")]
    [InlineData("--dst-ip", "167772161", "an IPv4 address has four numbers, like 10.0.0.1; shortened forms such as 10.1 mean different addresses to different readers")]
    public void Loose_addresses_are_refused_with_the_option_and_the_reason(string option, string address, string reason)
    {
        var file = Write("db.yaml", Policy);
        string[] args = option == "--src-ip"
            ? ["policy", "trace", "-f", file, "--src-ip", address, "--dst", Db, "--dport", "5432/TCP"]
            : ["policy", "trace", "-f", file, "--src", Web, "--dst-ip", address, "--dport", "5432/TCP"];
        var (code, stdout, stderr) = Run(args);

        Assert.Equal((2, "", $"membrane: {option}: \"{address}\" is not an IP address: {reason}"), (code, stdout, stderr.TrimEnd()));
    }

    [Fact]
    public void Trace_prints_the_addresses_it_parsed()
    {
        var file = Write("db.yaml", Policy);
        var identities = Write("ids.yaml", $"identities:\n- labels: [{Web.Replace(",", ", ")}]\n  id: 1000\n  ips: [2001:db8:0:0::5]\n");
        var (code, stdout, _) = Run("policy", "trace", "-f", file, "--identities", identities, "--src-ip", "2001:db8::5", "--dst", Db, "--dst-ip", "10.0.0.2", "--dport", "5432");
        var (_, json, _) = Run("policy", "trace", "-f", file, "--identities", identities, "--src-ip", "2001:db8::5", "--dst", Db, "--dst-ip", "10.0.0.2", "--dport", "5432", "-o", "json");

        Assert.Equal(0, code);
        var lines = stdout.ReplaceLineEndings("\n").Split('\n');
        Assert.Equal(["  source address: 2001:db8::5 (identity 1000)", "  destination address: 10.0.0.2 (identity 256)"], lines[1..3]);
        using var document = JsonDocument.Parse(json);
        Assert.Equal("2001:db8::5", document.RootElement.GetProperty("source").GetProperty("address").GetString());
        Assert.Equal("10.0.0.2", document.RootElement.GetProperty("destination").GetProperty("address").GetString());
    }

    [Theory]
    [InlineData("k8s:app=other,k8s:io.kubernetes.pod.namespace=shop", "10.0.0.5", 1000, "Final verdict: ALLOWED")]
    [InlineData(Web, "10.0.0.9", 1001, "Final verdict: DENIED")]
    public void Labels_name_the_endpoint_and_the_address_what_the_destination_sees(string src, string srcIp, int seen, string verdict)
    {
        var file = Write("db.yaml", Policy);
        var identities = Write("ids.yaml",
            $"identities:\n- labels: [{Web.Replace(",", ", ")}]\n  id: 1000\n  ips: [10.0.0.5]\n- labels: [k8s:app=other, k8s:io.kubernetes.pod.namespace=shop]\n  id: 1001\n  ips: [10.0.0.9]\n");
        var (code, stdout, _) = Run("policy", "trace", "-f", file, "--identities", identities, "--src", src, "--src-ip", srcIp, "--dst", Db, "--dport", "5432/TCP");

        Assert.Equal(0, code);
        var lines = stdout.Split('\n');
        Assert.Contains($"  source address: {srcIp} (identity {seen})", lines);
        Assert.Contains(lines, l => l.StartsWith($"  note: --src-ip {srcIp} is identity {seen} (", StringComparison.Ordinal)
            && l.EndsWith($"the --src endpoint's own policy is traced, and the destination's ingress sees identity {seen}", StringComparison.Ordinal));
        Assert.Contains(verdict, lines);
    }

    [Fact]
    public void Labels_and_an_address_of_the_same_endpoint_need_no_note()
    {
        var file = Write("db.yaml", Policy);
        var identities = Write("ids.yaml", $"identities:\n- labels: [{Web.Replace(",", ", ")}]\n  id: 1000\n  ips: [10.0.0.5]\n");
        var (code, stdout, _) = Run("policy", "trace", "-f", file, "--identities", identities, "--src", Web, "--src-ip", "10.0.0.5", "--dst", Db, "--dport", "5432/TCP", "-o", "json");

        Assert.Equal(0, code);
        using var json = System.Text.Json.JsonDocument.Parse(stdout);
        Assert.Equal(0, json.RootElement.GetProperty("notes").GetArrayLength());
        Assert.Equal("allowed", json.RootElement.GetProperty("final").GetString());
    }

    [Theory]
    [InlineData("5432/TCP", "5432/TCP")]
    [InlineData("5432", "5432/TCP")]
    [InlineData("53/UDP", "53/UDP")]
    [InlineData("9/SCTP", "9/SCTP")]
    [InlineData("0/TCP", "0/TCP")]
    [InlineData("65535/UDP", "65535/UDP")]
    public void Dport_accepts_the_listed_protocols(string dport, string packet)
    {
        var file = Write("db.yaml", Policy);
        var (code, stdout, _) = Run("policy", "trace", "-f", file, "--src", Web, "--dst", Db, "--dport", dport);

        Assert.Equal(0, code);
        Assert.StartsWith($"Tracing {packet} from", stdout);
    }

    [Theory]
    [InlineData("80/tcp", "\"tcp\" is not TCP, UDP or SCTP; write it as TCP")]
    [InlineData("80/ANY", "\"ANY\" is not TCP, UDP or SCTP")]
    [InlineData("80/VRRP", "\"VRRP\" is not TCP, UDP or SCTP")]
    [InlineData("80/6", "\"6\" is not TCP, UDP or SCTP")]
    [InlineData("8/ICMP", "\"ICMP\" is not TCP, UDP or SCTP; for ICMP use --icmp")]
    [InlineData("80/", "\"\" is not TCP, UDP or SCTP")]
    [InlineData("080/TCP", "\"080/TCP\" is not PORT/PROTOCOL, like 80/TCP: the port is a decimal number from 0 to 65535, without sign or leading zeros")]
    [InlineData("+80/TCP", "\"+80/TCP\" is not PORT/PROTOCOL, like 80/TCP: the port is a decimal number from 0 to 65535, without sign or leading zeros")]
    [InlineData("65536/TCP", "\"65536/TCP\" is not PORT/PROTOCOL, like 80/TCP: the port is a decimal number from 0 to 65535, without sign or leading zeros")]
    [InlineData("http/TCP", "\"http/TCP\" is not PORT/PROTOCOL, like 80/TCP: the port is a decimal number from 0 to 65535, without sign or leading zeros")]
    public void Dport_refuses_everything_else(string dport, string reason)
    {
        var file = Write("db.yaml", Policy);
        var (code, stdout, stderr) = Run("policy", "trace", "-f", file, "--src", Web, "--dst", Db, "--dport", dport);

        Assert.Equal((2, "", $"membrane: --dport: {reason}"), (code, stdout, stderr.TrimEnd()));
    }

    [Fact]
    public void Dport_help_lists_the_protocols_it_accepts()
    {
        var (_, stdout, _) = Run("policy", "trace", "--help");

        Assert.Contains("protocol TCP, UDP or SCTP (TCP if left out)", stdout);
    }

    private string Write(string name, string text) => _cli.Write(name, text);

    private static (int Code, string Stdout, string Stderr) Run(params string[] args) => CliHarness.Run(args);

    [Theory]
    [InlineData("EchoRequest/IPv9", "membrane: --icmp: \"IPv9\" is not a family; the family is IPv4 or IPv6")]
    [InlineData("3/4/ip6", "membrane: --icmp: \"ip6\" is not a family; the family is IPv4 or IPv6")]
    [InlineData("3/IPv4/4", "membrane: --icmp: \"3/IPv4/4\": the family comes last, as in TYPE[/CODE][/FAMILY]")]
    public void A_bad_family_is_named_as_the_family(string icmp, string message)
    {
        var file = Write("db.yaml", Policy);
        var (code, _, stderr) = Run("policy", "trace", "-f", file, "--src", Web, "--dst", Db, "--icmp", icmp);

        Assert.Equal((2, message), (code, stderr.TrimEnd()));
    }
}
