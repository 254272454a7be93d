using Membrane.Policy.Diagnostics;

namespace Membrane.Policy.Validation.Tests;

/// <summary>
/// The conformance corpus (../shared/corpus): real Cilium policies, which must all validate, except
/// the findings its README lists under "Expected findings".
/// </summary>
public sealed class CorpusTests
{
    private static readonly Lazy<ValidationReport> Report = new(() => ValidateCorpus(new ValidationOptions()));

    private static readonly Lazy<ValidationReport> CompatReport = new(() => ValidateCorpus(new ValidationOptions { CompatCilium = true }));

    internal static ValidationReport ValidateCorpus(ValidationOptions options)
    {
        Assert.True(Directory.Exists(RepositoryPaths.Corpus), $"the corpus is missing at {RepositoryPaths.Corpus}");
        var files = Directory.EnumerateFiles(RepositoryPaths.Corpus, "*", SearchOption.AllDirectories)
            .Where(f => f.EndsWith(".yaml") || f.EndsWith(".json"))
            // crds/ holds Cilium's CustomResourceDefinitions, the schema policies are checked against, not policies.
            .Where(f => !Path.GetRelativePath(RepositoryPaths.Corpus, f).StartsWith("crds" + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(f => new PolicyText(Path.GetRelativePath(RepositoryPaths.Corpus, f), System.IO.File.ReadAllText(f)))
            .ToList();
        return PolicyValidationService.Validate(files, options);
    }

    private static readonly Dictionary<string, (FieldErrorKind Kind, string PathSuffix)> ExpectedErrors = new()
    {
        ["cilium-examples/l4/l3_l4_combined.yaml"] = (FieldErrorKind.UnknownField, "fromEndpoints[0].role"),
        ["cilium-examples/multi_rule.yaml"] = (FieldErrorKind.UnknownField, "fromEndpoints[0].role"),
        ["cilium-examples/l3/match-expressions/and-statement.yaml"] = (FieldErrorKind.NotSupported, ".operator"),
        ["cilium-examples/l3/match-expressions/or-statement.yaml"] = (FieldErrorKind.NotSupported, ".operator"),
    };

    [Fact]
    public void The_corpus_is_all_there()
    {
        Assert.Equal(140, Report.Value.Files.Length);
    }

    [Fact]
    public void Every_file_validates_except_the_expected_findings()
    {
        var unexpected = Report.Value.Files
            .Where(f => !ExpectedErrors.ContainsKey(f.File))
            .SelectMany(f => f.AllFindings)
            .Where(e => e.Severity == Severity.Error)
            .Select(e => e.ToString())
            .ToList();

        Assert.Empty(unexpected);
    }

    [Theory]
    [InlineData("cilium-examples/l4/l3_l4_combined.yaml")]
    [InlineData("cilium-examples/multi_rule.yaml")]
    [InlineData("cilium-examples/l3/match-expressions/and-statement.yaml")]
    [InlineData("cilium-examples/l3/match-expressions/or-statement.yaml")]
    public void Policies_that_Cilium_silently_misreads_are_errors(string file)
    {
        var (kind, suffix) = ExpectedErrors[file];
        var errors = File(file).AllFindings.Where(e => e.Severity == Severity.Error).ToList();

        Assert.NotEmpty(errors);
        Assert.All(errors, e => Assert.Equal(kind, e.Kind));
        Assert.All(errors, e => Assert.EndsWith(suffix, e.Path));
    }

    [Theory]
    [InlineData("cilium-examples/kubernetes/namespace/demo-pods.yaml")]
    [InlineData("cilium-examples/kubernetes/serviceaccount/demo-pods.yaml")]
    [InlineData("cilium-examples/l4/envoy_forward_proxy_cec.yaml")]
    [InlineData("cilium-examples/l4/envoy_listener_redirect_cec.yaml")]
    public void Files_that_are_not_policies_are_skipped_with_a_note(string file)
    {
        var report = File(file);
        Assert.Empty(report.Policies);
        Assert.NotEmpty(report.FileFindings);
        Assert.All(report.FileFindings, f => Assert.Equal((Severity.Note, FieldErrorKind.Skipped), (f.Severity, f.Kind)));
    }

    [Theory]
    [InlineData("cilium-examples/l7/http/http.yaml", "rules.HTTP")]
    [InlineData("cilium-examples/http.json", "rules.HTTP")]
    [InlineData("cilium-examples/l7/http/http.json", "rules.HTTP")]
    [InlineData("cilium-examples/l7/http/l7_multi.json", "rules.HTTP")]
    [InlineData("cilium-examples/l7/http/simple/l7.json", "rules.HTTP")]
    [InlineData("cilium-examples/l7.json", "rules.HTTP")]
    [InlineData("cilium-examples/getting-started/cilium_dkr_demo_l7-policy-230817.json", "rules.HTTP")]
    [InlineData("cilium-examples/l7/kafka/kafka-Role.yaml", ".Role")]
    [InlineData("cilium-examples/l7/kafka/kafka-Role.json", ".Role")]
    [InlineData("cilium-examples/l3/entities/from_nodes.yaml", "apiversion")]
    public void Keys_that_match_only_without_case_pass_with_a_warning(string file, string pathSuffix)
    {
        var report = File(file);
        Assert.True(report.IsValid);
        Assert.Contains(report.AllFindings, f => f is { Severity: Severity.Warning, Kind: FieldErrorKind.NonStandard } && f.Path.EndsWith(pathSuffix));
    }

    [Fact]
    public void Eleven_files_with_a_top_level_description_pass_with_a_warning()
    {
        var files = Report.Value.Files.Where(f => f.AllFindings.Any(e => e is { Kind: FieldErrorKind.Ineffective, Path: "description" })).ToList();
        Assert.Equal(11, files.Count);
        Assert.All(files, f => Assert.True(f.IsValid));
    }

    [Theory]
    [InlineData("cilium-examples/l3/egress-default-deny/egress-default-deny.yaml", "spec.egress")]
    [InlineData("cilium-examples/l3/ingress-allow-all/ingress-allow-all.yaml", "spec.ingress[0].fromEndpoints")]
    public void Empty_sections_that_do_nothing_pass_with_a_warning(string file, string path)
    {
        var report = File(file);
        Assert.True(report.IsValid);
        Assert.Contains(report.AllFindings, f => f.Kind == FieldErrorKind.Ineffective && f.Path == path);
    }

    [Fact]
    public void The_icmp_manifests_validate_cleanly()
    {
        var icmp = Report.Value.Files.Where(f => f.File.StartsWith("cilium-tests/", StringComparison.Ordinal)).ToList();
        Assert.Equal(4, icmp.Count);
        Assert.All(icmp, f => Assert.Empty(f.AllFindings));
    }

    /// <summary>
    /// Under --compat cilium the corpus gets exactly the errors listed in Corpus/compat-cilium.yaml:
    /// what a Kubernetes API server with Cilium's CRD refuses (the peer validator flags the same
    /// files and fields) and the four policies Cilium silently misreads.
    /// </summary>
    [Fact]
    public void Under_compat_cilium_the_corpus_gets_the_listed_errors()
    {
        var expected = new YamlDotNet.Serialization.Deserializer()
            .Deserialize<Dictionary<string, List<Dictionary<string, string>>>>(System.IO.File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Corpus", "compat-cilium.yaml")))
            .SelectMany(kv => kv.Value.Select(e => $"{kv.Key} {e["kind"]} {e["path"]} line {e["line"]}"))
            .Order(StringComparer.Ordinal);
        var actual = CompatReport.Value.Files
            .SelectMany(f => f.AllFindings.Where(e => e.Severity == Severity.Error).Select(e => $"{f.File} {e.Kind} {e.Path} line {e.Position.Line}"))
            .Order(StringComparer.Ordinal);

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void By_default_the_CRD_refusals_are_warnings()
    {
        var crd = Report.Value.Files.SelectMany(f => f.AllFindings).Where(e => e.Kind == FieldErrorKind.CrdRejects).ToList();
        Assert.NotEmpty(crd);
        Assert.All(crd, e => Assert.Equal(Severity.Warning, e.Severity));
    }

    private static FileReport File(string file) => Report.Value.Files.Single(f => f.File == file);
}
