using Membrane.Policy.Source;

namespace Membrane.Policy.Validation.Tests;

/// <summary>
/// The summary line counts N policies read, K of them invalid, and F files with an error that is no
/// policy's. It must never contradict itself, nor the verdict: the report is valid exactly when K
/// and F are 0.
/// </summary>
public sealed class ValidationReportTests
{
    private const string Policy = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: NAME}
        spec:
          endpointSelector: {}
          ingress:
          - fromEndpoints: [{}]

        """;

    private static string Named(string name) => Policy.Replace("NAME", name, StringComparison.Ordinal);

    /// <summary>
    /// Two valid policies beside a document that is a string, not a policy. The file was read, and
    /// its two policies are valid: the summary said "0 invalid, 1 file unreadable" of it.
    /// </summary>
    [Fact]
    public void A_file_with_valid_policies_and_an_error_outside_them_is_not_called_unreadable()
    {
        var text = $"{Named("a")}---\njust a string\n---\n{Named("b")}";

        var report = PolicyValidationService.Validate([new PolicyText("mixed.yaml", text)]);

        Assert.False(report.IsValid);
        Assert.Equal((2, 0, 1), (report.PolicyCount, report.InvalidPolicyCount, report.InvalidFileCount));
        Assert.Equal("2 policies in 1 file: 0 invalid, 1 file with errors outside any policy", report.Summary);
    }

    [Fact]
    public void Files_with_errors_outside_any_policy_are_counted_in_the_plural()
    {
        var report = PolicyValidationService.Validate([new PolicyText("a.yaml", "a: [\n"), new PolicyText("b.yaml", "kind: [\n"), new PolicyText("ok.yaml", Named("ok"))]);

        Assert.Equal("1 policy in 3 files: 0 invalid, 2 files with errors outside any policy", report.Summary);
    }

    /// <summary>
    /// Past the per-input finding limit a file's syntax error is dropped from its findings and only
    /// counted (<see cref="FileReport.SuppressedFileErrors"/>). It still makes the file invalid, so it
    /// is counted among F: the summary said "1 policy in 1 file: 0 invalid" of an invalid report.
    /// </summary>
    [Fact]
    public void A_file_whose_errors_outside_any_policy_are_all_past_the_finding_limit_is_counted()
    {
        var text = $"kind: ConfigMap\nmetadata: {{name: c}}\n---\n{Named("ok")}---\na: [\n";

        var report = PolicyValidationService.Validate([new PolicyText("late.yaml", text)], new ValidationOptions { Limits = new SourceLimits { MaxFindings = 1 } });

        var file = Assert.Single(report.Files);
        Assert.Equal(1, file.SuppressedFileErrors);
        Assert.False(report.IsValid);
        Assert.Equal("1 policy in 1 file: 0 invalid, 1 file with errors outside any policy", report.Summary);
    }

    [Theory]
    [InlineData("ok.yaml", true)]
    [InlineData("bad-policy.yaml", false)]
    [InlineData("not-a-policy.yaml", false)]
    [InlineData("syntax.yaml", false)]
    public void The_report_is_valid_exactly_when_nothing_is_counted_invalid(string file, bool valid)
    {
        var text = file switch
        {
            "ok.yaml" => Named("ok"),
            "bad-policy.yaml" => Named("bad").Replace("fromEndpoints: [{}]", "fromCIDR: [\"10.1/16\"]", StringComparison.Ordinal),
            "not-a-policy.yaml" => $"{Named("ok")}---\n- 1\n",
            _ => $"{Named("ok")}---\na: [\n",
        };

        var report = PolicyValidationService.Validate([new PolicyText(file, text)]);

        Assert.Equal(valid, report.IsValid);
        Assert.Equal(valid, report.InvalidPolicyCount == 0 && report.InvalidFileCount == 0);
    }
}
