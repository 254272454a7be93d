using Membrane.Policy.Diagnostics;
using Membrane.Policy.Reading;
using Membrane.Policy.Source;

namespace Membrane.Policy.Tests.Reading;

/// <summary>The source readers' own checks: duplicates after normalisation, directives, partial reads.</summary>
public sealed class SourceReaderTests
{
    [Theory]
    [InlineData("a: 1\n~: 2\nnull: 3\n", "null", 3)]
    [InlineData("1: a\n01: b\n", "01", 2)]
    [InlineData("true: a\nTrue: b\n", "True", 2)]
    [InlineData("a: 1\n\"a\": 2\n", "a", 2)]
    [InlineData("x: {k: 1, k: 2}\n", "x.k", 1)]
    public void Keys_that_YAML_reads_alike_are_duplicates(string text, string path, int line)
    {
        var read = YamlSourceReader.Read("d.yaml", text);

        var finding = Assert.Single(Assert.Single(read.Documents).Findings);
        Assert.Equal((FieldErrorKind.Duplicate, path, line), (finding.Kind, finding.Path, finding.Position.Line));
    }

    [Fact]
    public void Json_duplicates_are_found_at_any_depth()
    {
        var read = JsonSourceReader.Read("d.json", """[{"a": {"b": 1, "b": 2}}]""");

        var finding = Assert.Single(Assert.Single(read.Documents).Findings);
        Assert.Equal((FieldErrorKind.Duplicate, "[0].a.b"), (finding.Kind, finding.Path));
    }

    [Fact]
    public void A_YAML_directive_before_each_document_is_valid()
    {
        var text = "%YAML 1.2\n---\na: 1\n...\n%YAML 1.2\n---\nb: 2\n";
        var read = YamlSourceReader.Read("v.yaml", text);

        Assert.Empty(read.Findings);
        Assert.Equal(2, read.Documents.Length);
    }

    [Fact]
    public void A_syntax_error_keeps_the_documents_before_it()
    {
        var text = "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: a}\nspec: {endpointSelector: {}, ingres: []}\n---\nkind: [\n";
        var read = PolicyReader.Read("later.yaml", text);

        var policy = Assert.Single(read.Policies);
        Assert.Contains(policy.Findings, f => f.Kind == FieldErrorKind.UnknownField && f.Path == "spec.ingres");
        Assert.Contains(read.FileFindings, f => f.Kind == FieldErrorKind.Syntax && f.Position.Line == 7);
    }

    [Theory]
    [InlineData("kind: \"\"\napiVersion: v1\n", FieldErrorKind.Required, "kind")]
    [InlineData("kind: 12\napiVersion: v1\n", FieldErrorKind.Invalid, "kind")]
    [InlineData("kind: Deployment\nKind: CiliumNetworkPolicy\nspec: {}\n", FieldErrorKind.Duplicate, "Kind")]
    [InlineData("apiVersion: v1\nAPIVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\n", FieldErrorKind.Duplicate, "APIVersion")]
    public void An_object_with_no_single_kind_is_an_error_never_a_skip(string text, FieldErrorKind kind, string path)
    {
        var read = PolicyReader.Read("k.yaml", text);

        Assert.Empty(read.Policies);
        Assert.Contains(read.FileFindings, f => f.Severity == Severity.Error && f.Kind == kind && f.Path == path);
        Assert.DoesNotContain(read.FileFindings, f => f.Kind == FieldErrorKind.Skipped);
    }

    [Theory]
    [InlineData("yes", true)]
    [InlineData("True", true)]
    [InlineData("ON", true)]
    [InlineData("off", false)]
    [InlineData("false", false)]
    public void Booleans_read_in_every_form_Kubernetes_reads(string text, bool value)
    {
        var policy = $"apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {{name: a}}\nspec:\n  endpointSelector: {{}}\n  enableDefaultDeny: {{ingress: {text}}}\n";
        var parsed = Assert.Single(PolicyReader.Read("b.yaml", policy).Policies);

        Assert.Empty(parsed.Findings);
        Assert.Equal(value, ((Membrane.Policy.Model.CiliumPolicy)parsed.Document).Spec!.EnableDefaultDeny!.Ingress!.Value.IsTrue);
    }
}
