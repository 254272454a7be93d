using System.Text.Json;
using CsCheck;
using Membrane.Policy.Validation.Tests;

namespace Membrane.Cli.Tests.Hostile;

/// <summary>
/// A mutation fuzzer over the corpus and the examples. Every mutated file goes through the real
/// commands in-process (validate, trace, resolve, and trace with the file as the identities file),
/// and must end in a report: no exception, an exit code of 0, 1 or 2, no internal error, and a
/// position on every error and warning. CI runs a fixed budget; MEMBRANE_FUZZ_ITERATIONS raises it,
/// and CsCheck prints the seed of a failing case (CsCheck_Seed reproduces it).
/// </summary>
public sealed class HostileInputFuzzTests
{
    private static readonly Lazy<string[]> Seeds = new(() =>
    {
        var roots = new[] { Path.Combine(RepositoryPaths.Root, "examples"), Path.Combine(RepositoryPaths.Corpus, "cilium-examples"), Path.Combine(RepositoryPaths.Corpus, "cilium-tests") };
        var identities = "identities:\n- labels: [k8s:app=a, k8s:io.kubernetes.pod.namespace=default]\n  id: 1001\n  ips: [10.0.0.1, \"fd00::1\"]\n  namedPorts: {http: 80/TCP}\n- labels: \"k8s:app=b\"\n";
        return [.. roots.Where(Directory.Exists).SelectMany(r => Directory.EnumerateFiles(r, "*", SearchOption.AllDirectories))
            .Where(f => f.EndsWith(".yaml") || f.EndsWith(".json")).Order(StringComparer.Ordinal).Select(File.ReadAllText), identities];
    });

    private static int Iterations => int.TryParse(Environment.GetEnvironmentVariable("MEMBRANE_FUZZ_ITERATIONS"), out var n) ? n : 1_500;

    [Fact]
    public void Mutated_inputs_always_end_in_a_report()
    {
        Assert.True(Seeds.Value.Length > 100, "the corpus and the examples should give over a hundred seed files");
        using var harness = new CliHarness();
        var counter = 0;
        InputMutator.Mutated(Seeds.Value).Sample(text =>
        {
            var name = $"case{Interlocked.Increment(ref counter)}{(text.TrimStart().StartsWith('[') || text.TrimStart().StartsWith('{') ? ".json" : ".yaml")}";
            var file = harness.Write(name, text);
            try
            {
                CheckValidate(file);
                Check("trace", CliHarness.Run("policy", "trace", "-f", file, "--src", "k8s:app=a", "--dst", "k8s:app=b", "--dport", "80/TCP"));
                Check("resolve", CliHarness.Run("policy", "resolve", "-f", file, "--endpoint", "k8s:app=a", "-o", "json"));
                if (Environment.GetEnvironmentVariable("FUZZ_SKIP_IDENTITIES") is null) Check("trace --identities", CliHarness.Run("policy", "trace", "-f", Path.Combine(RepositoryPaths.Root, "examples"), "--identities", file,
                    "--src", "k8s:app=a,k8s:io.kubernetes.pod.namespace=default", "--dst-ip", "10.0.0.9", "--icmp", "EchoRequest"));
            }
            finally
            {
                File.Delete(file);
            }
        }, iter: Iterations, threads: 1);
    }

    private static void CheckValidate(string file)
    {
        var (code, stdout, stderr) = CliHarness.Run("policy", "validate", "-o", "json", file);
        Check("validate", (code, stdout, stderr));
        if (code == 2)
        {
            return;
        }

        using var report = JsonDocument.Parse(stdout);
        foreach (var reported in report.RootElement.GetProperty("files").EnumerateArray())
        {
            var findings = reported.GetProperty("findings").EnumerateArray()
                .Concat(reported.GetProperty("policies").EnumerateArray().SelectMany(p => p.GetProperty("findings").EnumerateArray()));
            foreach (var finding in findings)
            {
                Assert.Matches(@"^MBR[1-7]\d{3}$", finding.GetProperty("code").GetString());
                if (finding.GetProperty("severity").GetString() != "note")
                {
                    Assert.True(finding.GetProperty("line").GetInt32() >= 1, $"a finding without a line: {finding}");
                    Assert.True(finding.GetProperty("column").GetInt32() >= 1, $"a finding without a column: {finding}");
                }
            }
        }
    }

    private static void Check(string command, (int Code, string Stdout, string Stderr) run)
    {
        var output = run.Stderr + run.Stdout;
        Assert.True(run.Code is 0 or 1 or 2, $"{command}: exit code {run.Code}: {run.Stderr}");
        foreach (var forbidden in new[] { "internal error", "   at ", "(Parameter '" })
        {
            Assert.False(output.Contains(forbidden, StringComparison.OrdinalIgnoreCase), $"{command}: the output shows \"{forbidden}\":\n{output}");
        }

        // A .NET exception's type name (InvalidOperationException), not the word "exception" in a
        // message such as "the exception does not lie inside cidr".
        var typeName = System.Text.RegularExpressions.Regex.Match(output, @"\b[A-Z][A-Za-z]*Exception\b");
        Assert.False(typeName.Success, $"{command}: the output shows the .NET exception {typeName.Value}:\n{output}");
    }
}
