using Membrane.Cli.Output;

namespace Membrane.Cli.Tests.Output;

public sealed class TerminalTextTests
{
    [Theory]
    [InlineData("plain text, ünïcödé", "plain text, ünïcödé")]
    [InlineData("a\u001b[2Jb", "a\\x1b[2Jb")]
    [InlineData("\u001b]0;title\u0007", "\\x1b]0;title\\x07")]
    [InlineData("line\nfake line", "line\\nfake line")]
    [InlineData("tab\there\r", "tab\\there\\r")]
    [InlineData("\u009b31m", "\\x9b31m")]
    [InlineData("abc\u202edcba", "abc\\u202edcba")]
    [InlineData("\u2066x\u2069", "\\u2066x\\u2069")]
    [InlineData("del\u007f", "del\\x7f")]
    public void Controls_from_the_input_print_as_escapes(string text, string printed)
    {
        Assert.Equal(printed, TerminalText.Escape(text));
    }

    [Fact]
    public void Validate_escapes_a_hostile_value_and_file_name()
    {
        using var harness = new CliHarness();
        var file = harness.Write("evil\u001b[2J.yaml", "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: \"x\\e]0;pwned\\a\"}\nspec: {endpointSelector: {}}\n");

        var (_, stdout, _) = CliHarness.Run("policy", "validate", file);

        Assert.DoesNotContain('\u001b', stdout);
        Assert.DoesNotContain('\u0007', stdout);
        Assert.Contains("evil\\x1b[2J.yaml:3:18: error MBR2065: metadata.name: invalid value \"x\\x1b]0;pwned\\x07\"", stdout);
    }

    [Fact]
    public void Trace_and_resolve_escape_a_hostile_file_name_in_the_rules_they_print()
    {
        using var harness = new CliHarness();
        var file = harness.Write("evil\u001b]0;x\u0007.yaml",
            "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: p, namespace: default}\nspec:\n  endpointSelector: {}\n  ingress: [{}]\n");

        var (traceCode, trace, _) = CliHarness.Run("policy", "trace", "-f", file, "--src", "k8s:app=a", "--dst", "k8s:app=b,k8s:io.kubernetes.pod.namespace=default", "--dport", "80/TCP");
        var (resolveCode, resolve, _) = CliHarness.Run("policy", "resolve", "-f", file, "--endpoint", "k8s:app=b,k8s:io.kubernetes.pod.namespace=default");

        Assert.Equal((0, 0), (traceCode, resolveCode));
        Assert.Contains("evil\\x1b]0;x\\x07.yaml", trace);
        Assert.Contains("evil\\x1b]0;x\\x07.yaml", resolve);
        Assert.DoesNotContain('\u001b', trace + resolve);
    }
}
