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

    /// <summary>
    /// Directives belong to the document after them (YAML 1.2 §6.8), so each document of a stream
    /// may have its own %YAML after the "..." that ends the one before (§9.2). YamlDotNet's parser
    /// kept a 1.0 or 1.1 document's version for the rest of the stream and refused the next one's
    /// as "Found duplicate %YAML directive".
    /// </summary>
    [Theory]
    [InlineData("1.2", "1.2")]
    [InlineData("1.1", "1.2")]
    [InlineData("1.1", "1.1")]
    [InlineData("1.2", "1.1")]
    [InlineData("1.0", "1.2")]
    public void Each_document_may_have_its_own_YAML_directive(string first, string second)
    {
        var text = $"%YAML {first}\n---\na: 1\n...\n# the next document\n%YAML {second}\n---\nb: 2\n...\n";

        foreach (var read in new[] { YamlSourceReader.Read("v.yaml", text), YamlSourceReader.ReadWithYamlDotNet("v.yaml", text) })
        {
            Assert.Empty(read.Findings);
            Assert.Equal([3, 8], read.Documents.Select(d => d.Root.Position.Line));
        }
    }

    /// <summary>
    /// YAML 1.2 example 9.5, as written in the specification: two documents, each with its own
    /// %YAML. The first is a text, whose "%!PS-Adobe-2.0" line is content, not a directive; the
    /// second holds only a comment, an empty document, which the reader skips as it skips a lone
    /// "---". Split for reading on many cores, each document keeps its directive.
    /// </summary>
    [Fact]
    public void The_specification_example_of_directives_per_document_reads()
    {
        const string text = "%YAML 1.2\n--- |\n%!PS-Adobe-2.0\n...\n%YAML 1.2\n---\n# Empty\n...\n";

        var read = YamlSourceReader.Read("9.5.yaml", text);

        Assert.Empty(read.Findings);
        var document = Assert.Single(read.Documents);
        Assert.Equal(("%!PS-Adobe-2.0\n", 2), (Assert.IsType<SourceScalar>(document.Root).Text, document.Root.Position.Line));

        var chunks = YamlStreamSplitter.Split(text);
        Assert.Equal(["%YAML 1.2\n--- |\n%!PS-Adobe-2.0\n...\n", "%YAML 1.2\n---\n# Empty\n...\n"], chunks.Select(c => text.Substring(c.Start, c.Length)));
        Assert.All(chunks, c => Assert.Empty(YamlSourceReader.Read("9.5.yaml", text.Substring(c.Start, c.Length), null, c.FirstLine).Findings));
    }

    [Theory]
    [InlineData("%YAML 1.2\n%YAML 1.2\n---\na: 1\n", 2, 1)]
    [InlineData("---\na: 1\n...\n%YAML 1.2\n%YAML 1.1\n---\nb: 2\n", 5, 4)]
    [InlineData("%YAML 1.2\n%TAG !e! tag:example.com,2000:\n%YAML 1.2\n---\na: 1\n", 3, 1)]
    public void A_second_YAML_directive_for_one_document_is_refused(string text, int line, int firstLine)
    {
        var read = YamlSourceReader.Read("twice.yaml", text);

        var finding = Assert.Single(read.Findings);
        Assert.Equal((FieldErrorKind.Syntax, new SourcePosition("twice.yaml", line, 1)), (finding.Kind, finding.Position));
        Assert.Equal(
            $"YAML syntax error: duplicate %YAML directive: this document has one already, at line {firstLine}; a document may have only one (YAML 1.2 §6.8.1)",
            finding.Detail);
    }

    /// <summary>
    /// Directives may follow only the start of the stream or a "..." (YAML 1.2 §9.2): a document
    /// not ended with "..." cannot be followed by one. The documents read before it are kept.
    /// </summary>
    [Theory]
    [InlineData("---\na: 1\n%YAML 1.2\n---\nb: 2\n", 3, 0)]
    [InlineData("a: 1\n%YAML 1.2\n---\nb: 2\n", 2, 0)]
    [InlineData("x: 1\n...\n---\na: 1\n%YAML 1.2\n---\nb: 2\n", 5, 1)]
    [InlineData("%YAML 1.2\n--- |\n  text\n%YAML 1.2\n---\nb: 2\n", 4, 0)]
    [InlineData("---\n%YAML 1.2\n---\na: 1\n", 2, 0)]
    public void A_directive_after_a_document_not_ended_with_dots_is_refused(string text, int line, int kept)
    {
        var read = YamlSourceReader.Read("late.yaml", text);

        var finding = Assert.Single(read.Findings);
        Assert.Equal((FieldErrorKind.Syntax, new SourcePosition("late.yaml", line, 1)), (finding.Kind, finding.Position));
        Assert.Equal(
            "YAML syntax error: a %YAML directive after a document that was not ended with \"...\": directives may stand only at the start of the stream or after a \"...\" line (YAML 1.2 §9.2)",
            finding.Detail);
        Assert.Equal(kept, read.Documents.Length);
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
