using System.Text.Json;
using Membrane.Cli.Commands;

namespace Membrane.Cli.Tests;

public sealed class PolicyValidateCommandTests : IDisposable
{
    private const string Valid = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: ok}
        spec:
          endpointSelector: {}
          ingress:
          - fromEndpoints: [{}]
            icmps: [{fields: [{type: EchoRequest}]}]
        """;

    private const string Invalid = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: bad}
        spec:
          endpointSelector: {}
          ingress:
          - fromEndpoints: [{}]
            icmps: [{fields: [{type: NeighborSolicitation}]}]
        """;

    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void Valid_files_exit_0_with_the_summary_line()
    {
        var file = Write("ok.yaml", Valid);
        var (code, stdout, _) = Run("policy", "validate", file);

        Assert.Equal(0, code);
        Assert.Equal("1 policy in 1 file: 0 invalid", stdout.Trim());
    }

    [Fact]
    public void Invalid_files_exit_1_with_compiler_style_errors()
    {
        Write("a/ok.yaml", Valid);
        var bad = Write("a/b/bad.yaml", Invalid);
        var (code, stdout, _) = Run("policy", "validate", Path.Combine(_cli.Directory, "a"));

        Assert.Equal(1, code);
        var lines = stdout.Trim().Split('\n');
        Assert.Equal(
            $"{bad}:8:30: error MBR4005: spec.ingress[0].icmps[0].fields[0].type: invalid value \"NeighborSolicitation\": NeighborSolicitation is an ICMPv6 type (135); set family: IPv6",
            lines[0]);
        Assert.Equal("2 policies in 2 files: 1 invalid", lines[^1]);
    }

    [Fact]
    public void Json_output_carries_the_same_findings()
    {
        var bad = Write("bad.yaml", Invalid);
        var (code, stdout, _) = Run("policy", "validate", "-o", "json", bad);

        Assert.Equal(1, code);
        using var json = JsonDocument.Parse(stdout);
        Assert.False(json.RootElement.GetProperty("valid").GetBoolean());
        Assert.Equal(1, json.RootElement.GetProperty("summary").GetProperty("invalidPolicies").GetInt32());
        var finding = json.RootElement.GetProperty("files")[0].GetProperty("policies")[0].GetProperty("findings")[0];
        Assert.Equal("error", finding.GetProperty("severity").GetString());
        Assert.Equal("MBR4005", finding.GetProperty("code").GetString());
        Assert.Equal("Invalid", finding.GetProperty("kind").GetString());
        Assert.Equal(8, finding.GetProperty("line").GetInt32());
        Assert.Equal("spec.ingress[0].icmps[0].fields[0].type", finding.GetProperty("path").GetString());
        Assert.Equal("NeighborSolicitation", finding.GetProperty("value").GetString());
    }

    [Fact]
    public void Standard_input_is_read_for_a_dash()
    {
        var (code, stdout, _) = CliHarness.RunWithInput(Invalid, "policy", "validate", "-");

        Assert.Equal(1, code);
        Assert.StartsWith("<stdin>:8:30: error MBR4005: spec.ingress[0].icmps[0].fields[0].type:", stdout);
    }

    [Fact]
    public void Lint_adds_warnings_but_keeps_exit_0()
    {
        var file = Write("lint.yaml", Valid);
        var (code, stdout, _) = Run("policy", "validate", "--lint", file);

        Assert.Equal(0, code);
        Assert.Contains("warning MBR5002: spec.ingress[0].icmps: allows ping (Echo Request) over IPv4 only", stdout);
    }

    /// <summary>
    /// Policies each with their own %YAML directive and "---", every one ended with "...": valid YAML
    /// (1.2 §9.2, example 9.5). A small file is read whole; a large one is split into its documents
    /// and read on every core, each document with its directive.
    /// </summary>
    [Theory]
    [InlineData(2, "1.2")]
    [InlineData(2, "1.1")]
    [InlineData(600, "1.2")]
    public void A_YAML_directive_before_each_policy_is_valid(int count, string version)
    {
        var text = string.Concat(Enumerable.Range(0, count).Select(i => $"%YAML {version}\n---\n{Valid.Replace("name: ok", $"name: p{i}", StringComparison.Ordinal)}\n...\n"));
        var file = Write("directives.yaml", text);

        var (code, stdout, _) = Run("policy", "validate", file);

        Assert.Equal(0, code);
        Assert.Equal($"{count} policies in 1 file: 0 invalid", stdout.Trim());
    }

    [Fact]
    public void A_second_YAML_directive_for_one_policy_is_an_error_at_its_line()
    {
        var file = Write("twice.yaml", $"%YAML 1.2\n---\n{Valid}\n...\n%YAML 1.2\n%YAML 1.2\n---\n{Valid.Replace("name: ok", "name: two", StringComparison.Ordinal)}\n");

        var (code, stdout, _) = Run("policy", "validate", file);

        Assert.Equal(1, code);
        Assert.Contains(
            $"{file}:13:1: error MBR1056: YAML syntax error: duplicate %YAML directive: this document has one already, at line 12; a document may have only one (YAML 1.2 §6.8.1)",
            stdout.Split('\n'));
    }

    /// <summary>
    /// Files saved with a byte order mark and joined after a "...": each later document begins with
    /// a mark before its %YAML, which YAML allows at the start of every document (1.2 §5.2, §9.1.1).
    /// The mark was read as text, the directive as a document holding a string, and the summary said
    /// "2 policies in 1 file: 0 invalid, 1 file unreadable".
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(600)]
    public void A_byte_order_mark_before_each_policy_s_directive_is_valid(int count)
    {
        var text = string.Concat(Enumerable.Range(0, count).Select(i => $"\uFEFF%YAML 1.2\n---\n{Valid.Replace("name: ok", $"name: p{i}", StringComparison.Ordinal)}\n...\n"));
        var file = Write("joined.yaml", text);

        var (code, stdout, _) = Run("policy", "validate", file);

        Assert.Equal(0, code);
        Assert.Equal($"{count} policies in 1 file: 0 invalid", stdout.Trim());
    }

    [Fact]
    public void A_byte_order_mark_before_a_later_document_s_directive_is_valid()
    {
        var file = Write("later.yaml", $"{Valid}\n...\n\uFEFF%YAML 1.2\n---\n{Valid.Replace("name: ok", "name: two", StringComparison.Ordinal)}\n");

        var (code, stdout, _) = Run("policy", "validate", file);

        Assert.Equal(0, code);
        Assert.Equal("2 policies in 1 file: 0 invalid", stdout.Trim());
    }

    [Fact]
    public void A_byte_order_mark_inside_a_policy_is_an_error_at_its_line()
    {
        var file = Write("inside.yaml", Valid.Replace("spec:", "\uFEFFspec:", StringComparison.Ordinal));

        var (code, stdout, _) = Run("policy", "validate", file);

        Assert.Equal(1, code);
        var lines = stdout.Trim().Split('\n');
        Assert.StartsWith($"{file}:4:1: error MBR1061: YAML syntax error: a byte order mark (U+FEFF) at the start of a line inside a document", lines[0]);
        Assert.Equal("0 policies in 1 file: 0 invalid, 1 file with errors outside any policy", lines[^1]);
    }

    /// <summary>
    /// A file read whole, with two valid policies and a document that is not one: the policies are
    /// counted and valid, and the file has an error outside them. It is not "unreadable": that is
    /// input refused before validation, with exit 2.
    /// </summary>
    [Fact]
    public void The_summary_counts_a_file_with_an_error_outside_its_policies_without_calling_it_unreadable()
    {
        var file = Write("mixed.yaml", $"{Valid}\n---\njust a string\n---\n{Valid.Replace("name: ok", "name: two", StringComparison.Ordinal)}\n");

        var (code, stdout, _) = Run("policy", "validate", file);

        Assert.Equal(1, code);
        var lines = stdout.Trim().Split('\n');
        Assert.Equal($"{file}:10:1: error MBR1039: a policy document must be an object or a list of rules, found a string", lines[0]);
        Assert.Equal("2 policies in 1 file: 0 invalid, 1 file with errors outside any policy", lines[^1]);
    }

    [Theory]
    [InlineData("policy", "validate")]
    [InlineData("policy", "validate", "-o", "xml", "x.yaml")]
    [InlineData("policy", "frobnicate")]
    public void Usage_errors_exit_2(params string[] args)
    {
        var (code, _, stderr) = Run(args);
        Assert.Equal(2, code);
        Assert.Contains("membrane:", stderr);
    }

    [Fact]
    public void A_missing_path_exits_2_and_names_it()
    {
        var missing = Path.Combine(_cli.Directory, "nope.yaml");
        var (code, stdout, stderr) = Run("policy", "validate", missing);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains($"{missing}: no such file or directory", stderr);
    }

    [Fact]
    public void An_unreadable_file_in_a_directory_exits_2_with_its_error_and_no_report()
    {
        for (var i = 0; i < 40; i++)
        {
            Write($"d/{i:D2}.yaml", i % 2 == 0 ? Valid : Invalid);
        }

        // Run as root, a file without read permission is still read: past the size limit is an input error too.
        var big = Write("d/20-big.yaml", Valid + new string('#', 4096));
        var (code, stdout, stderr) = Run("policy", "validate", "--max-input-size", "1KiB", Path.Combine(_cli.Directory, "d"));

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Equal($"membrane: error MBR1021: {big}: input is larger than the limit of 1 KiB (--max-input-size)", stderr.Trim());
    }

    [Fact]
    public void Results_keep_the_ordinal_order_of_paths()
    {
        string[] names = ["b.yaml", "B.yaml", "a/z.yaml", "a.yaml", "a/b/c.yaml", "_.yaml", "z.yaml", "A.yml"];
        for (var i = 0; i < 60; i++)
        {
            Write($"d/{names[i % names.Length].Replace(".y", $"{i}.y", StringComparison.Ordinal)}", Invalid);
        }

        var (code, stdout, _) = Run("policy", "validate", Path.Combine(_cli.Directory, "d"));

        Assert.Equal(1, code);
        var files = stdout.Trim().Split('\n').SkipLast(1).Select(line => line[..line.IndexOf(':', StringComparison.Ordinal)]).ToList();
        Assert.Equal(60, files.Distinct().Count());
        Assert.Equal(files.Order(StringComparer.Ordinal), files);
    }

    private string Write(string name, string text) => _cli.Write(name, text);

    private static (int Code, string Stdout, string Stderr) Run(params string[] args) => CliHarness.Run(args);
}
