using System.Text;

namespace Membrane.Policy.Validation.Tests;

/// <summary>A large stream is read a document at a time in parallel; it must report exactly what one sequential read does.</summary>
public sealed class SplitReadingTests
{
    [Fact]
    public void A_split_read_reports_what_a_whole_read_reports()
    {
        var text = new StringBuilder();
        for (var i = 0; i < 800; i++)
        {
            text.Append($"---\napiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {{name: p{i}}}\nspec:\n  endpointSelector: {{}}\n");
            text.Append(i % 7 == 0 ? "  ingress: [{fromCIDR: [\"10.1/16\"]}]\n" : "  ingress: [{toPorts: [{ports: [{port: \"80\"}]}]}]\n");
            text.Append(i % 11 == 0 ? "  egress: [{icmps: [{fields: [{type: Bogus}]}]}]\n" : "");
        }

        text.Append("---\nkind: [\n---\napiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: after}\nspec: {endpointSelector: {}}\n");
        var input = new PolicyText("big.yaml", text.ToString());
        Assert.True(input.Text.Length > 64 * 1024, "the stream must be large enough to be split");

        var split = PolicyValidationService.ValidateFile(input, new ValidationOptions());
        var read = Reading.PolicyReader.Read(input.File, input.Text);

        Assert.Equal(800, split.Policies.Length);
        Assert.Equal(read.Policies.Length, split.Policies.Length);
        var whole = read.Policies.SelectMany(p => p.Findings.AddRange(PolicyValidator.Validate(p.Document))).Concat(read.FileFindings)
            .Where(f => f.Kind != Diagnostics.FieldErrorKind.CrdRejects).Select(f => f.ToString()).Order(StringComparer.Ordinal);
        var parts = split.AllFindings.Where(f => f.Kind != Diagnostics.FieldErrorKind.CrdRejects).Select(f => f.ToString()).Order(StringComparer.Ordinal);
        Assert.Equal(whole, parts);
    }

    /// <summary>
    /// A stream whose documents each have their own %YAML directive, ended with "..." (YAML 1.2
    /// §9.2, example 9.5), is valid: split for reading, each document keeps its directive, the
    /// first document's included, and reads as it does whole.
    /// </summary>
    [Fact]
    public void A_split_read_keeps_each_document_s_directives()
    {
        var text = new StringBuilder();
        for (var i = 0; i < 800; i++)
        {
            text.Append(i % 3 == 0 ? "%YAML 1.1\n" : "%YAML 1.2\n");
            text.Append($"---\napiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {{name: p{i}}}\nspec:\n  endpointSelector: {{}}\n");
            text.Append("  ingress: [{toPorts: [{ports: [{port: \"80\"}]}]}]\n...\n");
        }

        var input = new PolicyText("directives.yaml", text.ToString());
        Assert.True(input.Text.Length > 64 * 1024, "the stream must be large enough to be split");

        var split = PolicyValidationService.ValidateFile(input, new ValidationOptions());
        var read = Reading.PolicyReader.Read(input.File, input.Text);

        Assert.Empty(split.AllFindings.Where(f => f.Severity == Diagnostics.Severity.Error).Select(f => f.ToString()));
        Assert.Equal(800, split.Policies.Length);
        Assert.Equal(800, read.Policies.Length);
        Assert.Empty(read.FileFindings);
    }

    /// <summary>
    /// Files saved with a byte order mark and joined: each document begins with a mark, before its
    /// %YAML after a "...", or right before its "---" (YAML 1.2 §5.2, §9.1.1). Split for reading or
    /// read whole, the stream is its policies, and nothing else.
    /// </summary>
    [Fact]
    public void A_split_read_takes_the_byte_order_marks_that_begin_documents()
    {
        var text = new StringBuilder();
        for (var i = 0; i < 800; i++)
        {
            text.Append(i % 2 == 0 ? "\uFEFF%YAML 1.2\n---\n" : "\uFEFF---\n");
            text.Append($"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {{name: p{i}}}\nspec:\n  endpointSelector: {{}}\n");
            text.Append("  ingress: [{toPorts: [{ports: [{port: \"80\"}]}]}]\n");
            text.Append(i % 2 == 1 ? "...\n" : "");
        }

        var input = new PolicyText("joined.yaml", text.ToString());
        Assert.True(input.Text.Length > 64 * 1024, "the stream must be large enough to be split");

        var split = PolicyValidationService.ValidateFile(input, new ValidationOptions());
        var read = Reading.PolicyReader.Read(input.File, input.Text);

        Assert.Empty(split.AllFindings.Where(f => f.Severity == Diagnostics.Severity.Error).Select(f => f.ToString()));
        Assert.Equal(800, split.Policies.Length);
        Assert.Equal(800, read.Policies.Length);
        Assert.Empty(read.FileFindings);
    }
}
