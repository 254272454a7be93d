using System.Text.RegularExpressions;

namespace Membrane.Policy.Validation.Tests;

/// <summary>
/// Every finding has a stable code (MBRnnnn): one site in src/ gives it, and the table in
/// docs/policy-language.md section 5.8 lists it.
/// </summary>
public sealed partial class FindingCodeTests
{
    [GeneratedRegex("(?:code:|Code =)\\s*\"([^\"]+)\"")]
    private static partial Regex CodeAtSite();

    [GeneratedRegex(@"^\| (MBR\d+) \|", RegexOptions.Multiline)]
    private static partial Regex CodeInTable();

    [GeneratedRegex(@"^MBR[1-7]\d{3}$")]
    private static partial Regex CodeShape();

    private static List<(string Code, string Site)> Sites()
    {
        var src = Path.Combine(RepositoryPaths.Root, "src");
        return
        [
            .. Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
                .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"))
                .Order(StringComparer.Ordinal)
                .SelectMany(f => File.ReadLines(f).Select((line, i) => (line, Site: $"{Path.GetRelativePath(RepositoryPaths.Root, f)}:{i + 1}")))
                .SelectMany(l => CodeAtSite().Matches(l.line).Select(m => (m.Groups[1].Value, l.Site))),
        ];
    }

    private static HashSet<string> Documented()
    {
        var doc = File.ReadAllText(Path.Combine(RepositoryPaths.Root, "docs", "policy-language.md"));
        var section = doc[doc.IndexOf("### 5.8 Finding codes", StringComparison.Ordinal)..];
        section = section[..section.IndexOf("\n## ", StringComparison.Ordinal)];
        return [.. CodeInTable().Matches(section).Select(m => m.Groups[1].Value)];
    }

    [Fact]
    public void Codes_are_found_at_the_sites()
    {
        Assert.True(Sites().Count > 100, $"only {Sites().Count} codes found in src/");
    }

    [Fact]
    public void Each_code_has_the_shape_MBR_area_and_three_digits()
    {
        Assert.Empty(Sites().Where(s => !CodeShape().IsMatch(s.Code)).Select(s => $"{s.Site}: {s.Code}"));
    }

    [Fact]
    public void Each_code_is_given_at_exactly_one_site()
    {
        Assert.Empty(Sites().GroupBy(s => s.Code).Where(g => g.Count() > 1).Select(g => $"{g.Key} at {string.Join(", ", g.Select(s => s.Site))}"));
    }

    [Fact]
    public void Each_code_is_in_the_docs_table()
    {
        var documented = Documented();
        Assert.Empty(Sites().Where(s => !documented.Contains(s.Code)).Select(s => $"{s.Site}: {s.Code}"));
    }

    [Fact]
    public void Each_code_in_the_docs_table_is_used()
    {
        var used = Sites().Select(s => s.Code).ToHashSet();
        var unused = Documented().Except(used).Order(StringComparer.Ordinal).ToList();
        Assert.Empty(unused);
    }

    [Fact]
    public void Every_finding_of_the_corpus_has_a_code()
    {
        var findings = CorpusTests.ValidateCorpus(new ValidationOptions { Lint = true }).Files.SelectMany(f => f.AllFindings)
            .Concat(CorpusTests.ValidateCorpus(new ValidationOptions { CompatCilium = true }).Files.SelectMany(f => f.AllFindings))
            .ToList();
        var compat = Path.Combine(AppContext.BaseDirectory, "Corpus", "compat-cilium.yaml");
        findings.AddRange(PolicyValidationService.ValidateFile(new PolicyText("compat-cilium.yaml", File.ReadAllText(compat)), new ValidationOptions { CompatCilium = true }).AllFindings);

        Assert.NotEmpty(findings);
        Assert.Empty(findings.Where(f => f.Code.Length == 0).Select(f => f.ToString()));
    }

    [Fact]
    public void Every_finding_of_the_scenarios_has_a_code()
    {
        var findings = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Scenarios"), "*.yaml").Order()
            .SelectMany(ValidationScenarioTests.Load)
            .SelectMany(s => PolicyValidationService.ValidateFile(new PolicyText(s.File, s.Policy), new ValidationOptions { Lint = s.Lint, CompatCilium = s.Compat }).AllFindings)
            .ToList();

        Assert.NotEmpty(findings);
        Assert.Empty(findings.Where(f => f.Code.Length == 0).Select(f => f.ToString()));
    }
}
