using Membrane.Policy.Diagnostics;

namespace Membrane.Policy.Validation.Tests.Schema;

public sealed class CrdSchemaValidatorTests
{
    [Theory]
    [InlineData("""[{"endpointSelector": {}, "": [{"fromEntities": ["world"]}]}]""", "[0]")]
    [InlineData("""[{"endpointSelector": {}, "[0]": 1, "ingress": [{}]}]""", "[0].[0]")]
    public void Keys_that_are_empty_or_look_like_indexes_get_findings_with_paths(string json, string path)
    {
        var report = PolicyValidationService.ValidateFile(new PolicyText("k.json", json), new ValidationOptions { CompatCilium = true });

        Assert.Contains(report.AllFindings, f => f.Severity == Severity.Error && f.Path == path);
    }

    [Fact]
    public void A_value_that_would_make_a_backtracking_pattern_explode_is_checked_in_linear_time()
    {
        // ^([-a-zA-Z0-9_]+[.]?)+$ against 5,000 letters and a '!' takes exponential time with backtracking.
        var name = new string('a', 5_000) + "!";
        var json = $$"""[{"endpointSelector": {}, "egress": [{"toFQDNs": [{"matchName": "{{name}}"}]}]}]""";

        var report = PolicyValidationService.ValidateFile(new PolicyText("f.json", json), new ValidationOptions { CompatCilium = true });

        // The CRD check ran the pattern (its finding yields to Membrane's own error at the same field);
        // with backtracking this test would not finish.
        Assert.Contains(report.AllFindings, f => f.Severity == Severity.Error && f.Path.EndsWith("matchName", StringComparison.Ordinal));
    }
}
