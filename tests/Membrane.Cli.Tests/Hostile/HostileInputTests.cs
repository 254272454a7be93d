using System.Diagnostics;
using System.Text;

namespace Membrane.Cli.Tests.Hostile;

/// <summary>
/// One hostile input of each class issue 7 names, each with its exact finding, and with the memory
/// it may allocate and the time it may take bounded. Allocation is measured for the whole process,
/// so these tests run alone (<see cref="SerialCollection"/>).
/// </summary>
[Collection(SerialCollection.Name)]
public sealed class HostileInputTests
{
    private const long MiB = 1024 * 1024;

    private const string Policy = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p}\nspec:\n  endpointSelector: {}\n";

    public static TheoryData<HostileInputCase> Cases { get; } =
    [
        new HostileInputCase("alias bomb: a 2 KB billion laughs", dir => Validate(dir, "bomb.yaml", AliasBomb()), 1,
            "{dir}/bomb.yaml:9:38: error MBR1056: the alias *c takes the nodes that aliases expand to past the limit of 10,000 for this document; a guard against alias bombs (\"billion laughs\"): write the repeated parts out, or use fewer nested aliases",
            8 * MiB, 2),
        new HostileInputCase("deep nesting, YAML", dir => Validate(dir, "deep.yaml", "a: " + new string('[', 100_000) + new string(']', 100_000) + "\n"), 1,
            "{dir}/deep.yaml:1:132: error MBR1056: the document nests deeper than 128 levels; no policy needs that many", 16 * MiB, 2),
        new HostileInputCase("deep nesting, JSON", dir => Validate(dir, "deep.json", new string('[', 100_000) + new string(']', 100_000)), 1,
            "{dir}/deep.json:1:129: error MBR1050: the document nests deeper than 128 levels; no policy needs that many", 16 * MiB, 2),
        new HostileInputCase("oversize input: /dev/zero", _ => ["policy", "validate", "--max-input-size", "1MiB", "/dev/zero"], 2,
            "membrane: error MBR1021: /dev/zero: input is larger than the limit of 1 MiB (--max-input-size)", 8 * MiB, 2),
        new HostileInputCase("invalid escape: reversed surrogates in a JSON key", dir => Validate(dir, "escape.json", """[{"endpointSelector": {"matchLabels": {"a\udc00\ud800": "x"}}}]"""), 1,
            "{dir}/escape.json:1:40: error MBR1052: JSON syntax error: an invalid Unicode escape (a lone or misordered surrogate) in this string", 4 * MiB, 2),
        new HostileInputCase("invalid escape: a lone surrogate in a YAML value", dir => Validate(dir, "escape.yaml", Policy.Replace("{name: p}", "{name: \"\\ud800\"}")), 1,
            "{dir}/escape.yaml:3:18: error MBR1057: YAML syntax error: an invalid Unicode escape (a lone surrogate) in this value", 4 * MiB, 2),
        new HostileInputCase("symlink loop", dir => Tree(dir, "loop", d =>
            {
                Directory.CreateDirectory(Path.Combine(d, "sub"));
                Directory.CreateSymbolicLink(Path.Combine(d, "sub", "up"), "..");
                File.WriteAllText(Path.Combine(d, "p.yaml"), Policy + "  ingress: [{}]\n");
            }), 0, "{dir}/loop/sub/up: note MBR1004: skipped: a symbolic link to a directory already visited ({dir}/loop)", 4 * MiB, 5),
        new HostileInputCase("FIFO in a directory", dir => Tree(dir, "fifo", d =>
            {
                File.WriteAllText(Path.Combine(d, "p.yaml"), Policy + "  ingress: [{}]\n");
                MakeFifo(Path.Combine(d, "pipe.yaml"));
            }), 0, "{dir}/fifo/pipe.yaml: note MBR1010: skipped: a FIFO, not a regular file; in a directory only regular files are read", 4 * MiB, 5),
        new HostileInputCase("duplicate kind", dir => Validate(dir, "kind.yaml", "apiVersion: cilium.io/v2\nkind: Deployment\nmetadata: {name: a}\nkind: CiliumNetworkPolicy\nspec: {endpointSelector: {}}\n"), 1,
            "{dir}/kind.yaml:4:1: error MBR1054: kind: duplicate value \"kind\": the key is given twice (first at line 2); YAML and JSON readers disagree on which one holds", 4 * MiB, 2),
        new HostileInputCase("loose address: inet_aton shorthand", dir => Validate(dir, "cidr.yaml", Policy + "  egress: [{toCIDR: [\"10.1/16\"]}]\n"), 1,
            "{dir}/cidr.yaml:6:22: error MBR4010: spec.egress[0].toCIDR[0]: invalid value \"10.1/16\": \"10.1\" is not an IPv4 or IPv6 address: an IPv4 address has four numbers, like 10.0.0.1; shortened forms such as 10.1 mean different addresses to different readers",
            4 * MiB, 2),
        new HostileInputCase("loose address: leading zero", dir => Validate(dir, "zero.yaml", Policy + "  egress: [{toCIDR: [\"010.0.0.1/32\"]}]\n"), 1,
            "{dir}/zero.yaml:6:22: error MBR4010: spec.egress[0].toCIDR[0]: invalid value \"010.0.0.1/32\": \"010.0.0.1\" is not an IPv4 or IPv6 address: a number in an IPv4 address has a leading zero, which some readers take as octal; remove it",
            4 * MiB, 2),
        new HostileInputCase("leading-zero port that is no octal number", dir => Validate(dir, "port.yaml", Policy + "  egress: [{toPorts: [{ports: [{port: \"080\"}]}]}]\n"), 1,
            "{dir}/port.yaml:6:39: error MBR4021: spec.egress[0].toPorts[0].ports[0].port: invalid value \"080\": Cilium reads a port with a leading 0 as an octal number, and this is no octal number (digits 0-7 only); remove the leading 0 to mean the decimal port",
            4 * MiB, 2),
        new HostileInputCase("leading-zero port read as Cilium reads it", dir => Validate(dir, "octal.yaml", Policy + "  egress: [{toPorts: [{ports: [{port: \"010\"}]}]}]\n"), 0,
            "{dir}/octal.yaml:6:39: warning MBR4022: spec.egress[0].toPorts[0].ports[0].port: Cilium reads this port as Go reads an integer literal, a leading 0 making it octal: it is port 8; write \"8\"",
            4 * MiB, 2),
        new HostileInputCase("wrong-type scalar: a boolean label value", dir => Validate(dir, "bool.yaml", Policy.Replace("endpointSelector: {}", "endpointSelector: {matchLabels: {env: on}}") + "  ingress: [{}]\n"), 1,
            "{dir}/bool.yaml:5:41: error MBR1030: spec.endpointSelector.matchLabels.env: invalid value \"on\": must be a string, found a boolean: YAML 1.1, which Kubernetes reads, takes on unquoted as true; the API server refuses a boolean here; quote it: \"on\"",
            4 * MiB, 2),
        new HostileInputCase("wrong-type scalar: a quoted endPort", dir => Validate(dir, "end.yaml", Policy + "  egress: [{toPorts: [{ports: [{port: \"80\", endPort: \"90\"}]}]}]\n"), 1,
            "{dir}/end.yaml:6:54: error MBR1023: spec.egress[0].toPorts[0].ports[0].endPort: invalid value \"90\": must be a number, found a string; the API server refuses a quoted number here; write endPort: 90 without quotes",
            4 * MiB, 2),
        new HostileInputCase("identities duplicates: labels, id and address", dir => Identities(dir,
                "identities:\n- labels: [k8s:app=a]\n  id: 300\n  ips: [10.0.0.1]\n- labels: [k8s:app=a]\n  id: 300\n  ips: [10.0.0.1]\n"), 1,
            "{dir}/ids.yaml:7:9: error MBR7025: identities[1].ips[0]: duplicate value \"10.0.0.1\": it is already the address of identities[0].ips[0]; the IP cache maps an address to one identity",
            4 * MiB, 2),
        new HostileInputCase("huge number keys: every pair compared for duplicates", dir => Validate(dir, "keys.yaml",
                "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p}\nspec:\n  endpointSelector:\n    matchLabels:\n"
                + string.Concat(Enumerable.Range(0, 12).Select(i => $"      ? {new string('1', 300_000)}{i}\n      : x\n"))
                + "      ? 01\n      : a\n      ? 1\n      : b\n  ingress: [{}]\n"), 1,
            "{dir}/keys.yaml:33:9: error MBR1054: spec.endpointSelector.matchLabels.1: duplicate value \"1\": the key is the same as \"01\" at line 31 once YAML reads both; YAML and JSON readers disagree on which one holds",
            96 * MiB, 5),
        new HostileInputCase("60,000 duplicate keys in one policy", dir => Validate(dir, "dups.yaml",
                "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p}\nspec:\n  endpointSelector:\n    matchLabels:\n"
                + string.Concat(Enumerable.Repeat("      a: b\n", 60_000)) + "  ingress: [{}]\n"), 1,
            "{dir}/dups.yaml: note MBR1060: 58,999 more findings not shown (at most 1,000 per input)", 256 * MiB, 5),
        new HostileInputCase("NUL as the first byte", dir => Validate(dir, "nul.yaml", "\0" + Policy), 1,
            "{dir}/nul.yaml:1:1: error MBR1055: YAML syntax error: a NUL character; YAML text cannot contain one", 4 * MiB, 2),
    ];

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_hostile_input_gets_its_finding_within_bounds(HostileInputCase hostile)
    {
        using var harness = new CliHarness();
        var args = hostile.Setup(harness.Directory);

        // The first run loads what every run shares once per process (the CRD schemas, compiled
        // code); the second run's cost is what the input itself costs.
        CliHarness.Run(args);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        var (code, stdout, stderr) = CliHarness.Run(args);
        clock.Stop();
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        var expected = hostile.Expected.Replace("{dir}", harness.Directory);
        Assert.Contains(expected, (stdout + stderr).Split('\n'));
        Assert.Equal(hostile.ExitCode, code);
        Assert.True(allocated <= hostile.MaxAllocatedBytes, $"allocated {allocated:N0} bytes, more than {hostile.MaxAllocatedBytes:N0}");
        Assert.True(clock.Elapsed.TotalSeconds <= hostile.MaxSeconds, $"took {clock.Elapsed.TotalSeconds:F2} s, more than {hostile.MaxSeconds} s");
    }

    [Fact]
    public void The_alias_bomb_is_small()
    {
        Assert.InRange(Encoding.UTF8.GetByteCount(AliasBomb()), 1, 2048);
    }

    private static string[] Validate(string dir, string name, string text)
    {
        File.WriteAllText(Path.Combine(dir, name), text);
        return ["policy", "validate", Path.Combine(dir, name)];
    }

    private static string[] Identities(string dir, string text)
    {
        File.WriteAllText(Path.Combine(dir, "p.yaml"), Policy + "  ingress: [{}]\n");
        File.WriteAllText(Path.Combine(dir, "ids.yaml"), text);
        return ["policy", "trace", "-f", Path.Combine(dir, "p.yaml"), "--identities", Path.Combine(dir, "ids.yaml"), "--src", "k8s:app=a", "--dst", "k8s:app=b", "--dport", "80/TCP"];
    }

    private static string[] Tree(string dir, string name, Action<string> build)
    {
        var root = Path.Combine(dir, name);
        Directory.CreateDirectory(root);
        build(root);
        return ["policy", "validate", root];
    }

    /// <summary>Nine levels of ten aliases each: 10^9 nodes if expanded.</summary>
    private static string AliasBomb()
    {
        var text = new StringBuilder(Policy).Append("  a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for (var level = 1; level < 9; level++)
        {
            var name = (char)('a' + level);
            var previous = (char)('a' + level - 1);
            text.Append($"  {name}: &{name} [{string.Join(", ", Enumerable.Repeat("*" + previous, 10))}]\n");
        }

        return text.ToString();
    }

    private static void MakeFifo(string path)
    {
        using var mkfifo = Process.Start(new ProcessStartInfo("mkfifo", [path]) { UseShellExecute = false })!;
        Assert.True(mkfifo.WaitForExit(10_000), "mkfifo did not finish");
        Assert.Equal(0, mkfifo.ExitCode);
    }
}
