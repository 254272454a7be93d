using Membrane.Policy.Source;

namespace Membrane.Policy.Tests.Reading;

public sealed class YamlStreamSplitterTests
{
    [Theory]
    [InlineData("a: 1\n", new[] { "a: 1\n" })]
    [InlineData("a: 1\n---\nb: 2\n", new[] { "a: 1\n", "---\nb: 2\n" })]
    [InlineData("---\na: 1\n--- \nb: 2", new[] { "---\na: 1\n", "--- \nb: 2" })]
    [InlineData("a: 1\n...\n%YAML 1.2\n---\nb: 2\n", new[] { "a: 1\n...\n", "%YAML 1.2\n---\nb: 2\n" })]
    [InlineData("%YAML 1.2\n---\na: 1\n...\n%YAML 1.2\n---\nb: 2\n", new[] { "%YAML 1.2\n---\na: 1\n...\n", "%YAML 1.2\n---\nb: 2\n" })]
    [InlineData("# c\n%YAML 1.2\n\n---\na: 1\n---\nb: 2\n", new[] { "# c\n%YAML 1.2\n\n---\na: 1\n", "---\nb: 2\n" })]
    [InlineData("a: 1\n...\nb: 2\n---\nc: 3\n", new[] { "a: 1\n...\nb: 2\n", "---\nc: 3\n" })]
    [InlineData("---\na: 1\n%YAML 1.2\n---\nb: 2\n", new[] { "---\na: 1\n%YAML 1.2\n", "---\nb: 2\n" })]
    [InlineData("--- |\n%not a directive\n...\n%YAML 1.2\n---\nb: 2\n", new[] { "--- |\n%not a directive\n...\n", "%YAML 1.2\n---\nb: 2\n" })]
    [InlineData("a: |\n  ---x\n----\n", new[] { "a: |\n  ---x\n----\n" })]
    [InlineData("a: \"x\n --- y\"\n", new[] { "a: \"x\n --- y\"\n" })]
    [InlineData("", new[] { "" })]
    public void Documents_split_at_markers_only(string text, string[] parts)
    {
        var chunks = YamlStreamSplitter.Split(text);
        Assert.Equal(parts, chunks.Select(c => text.Substring(c.Start, c.Length)));
        Assert.Equal(chunks.Select(c => text[..c.Start].Count(ch => ch == '\n') + 1), chunks.Select(c => c.FirstLine));
    }

    /// <summary>
    /// Byte order marks may begin each document (YAML 1.2 §5.2, §9.1.1): before its directives
    /// after a "...", and right before a "---" or "..." (§9.2). A marked "---" or "..." is a marker.
    /// </summary>
    [Theory]
    [InlineData("a: 1\n...\n\uFEFF%YAML 1.2\n---\nb: 2\n", new[] { "a: 1\n...\n", "\uFEFF%YAML 1.2\n---\nb: 2\n" })]
    [InlineData("a: 1\n\uFEFF---\nb: 2\n", new[] { "a: 1\n", "\uFEFF---\nb: 2\n" })]
    [InlineData("a: 1\n...\n\uFEFF---\nb: 2\n---\nc: 3\n", new[] { "a: 1\n...\n", "\uFEFF---\nb: 2\n", "---\nc: 3\n" })]
    [InlineData("a: 1\n\uFEFF\uFEFF...\n%YAML 1.2\n---\nb: 2\n", new[] { "a: 1\n\uFEFF\uFEFF...\n", "%YAML 1.2\n---\nb: 2\n" })]
    [InlineData("a: 1\nb: x\uFEFF---\n", new[] { "a: 1\nb: x\uFEFF---\n" })]
    public void Documents_split_at_markers_that_byte_order_marks_begin(string text, string[] parts)
    {
        var chunks = YamlStreamSplitter.Split(text);
        Assert.Equal(parts, chunks.Select(c => text.Substring(c.Start, c.Length)));
        Assert.Equal(chunks.Select(c => text[..c.Start].Count(ch => ch == '\n') + 1), chunks.Select(c => c.FirstLine));
    }

    [Fact]
    public void A_document_read_alone_keeps_its_lines_in_the_file()
    {
        var text = "a: 1\n---\nb: 2\nc: [\n";
        var chunk = YamlStreamSplitter.Split(text)[1];

        var read = YamlSourceReader.Read("s.yaml", text.Substring(chunk.Start, chunk.Length), null, chunk.FirstLine);

        Assert.Equal(5, Assert.Single(read.Findings).Position.Line);
    }

    /// <summary>
    /// Read a document at a time, a stream whose documents have their own directives reads as it
    /// does whole: each %YAML stays with its document (YAML 1.2 §6.8), the first document's
    /// included, and a directive YAML refuses is refused at the same line.
    /// </summary>
    [Theory]
    [InlineData("%YAML 1.2\n---\na: 1\n...\n%YAML 1.2\n---\nb: 2\n...\n")]
    [InlineData("# policies\n%YAML 1.1\n---\na: 1\n...\n\n%YAML 1.2\n---\nb: 2\n---\nc: 3\n")]
    [InlineData("%YAML 1.2\n--- |\n%!PS-Adobe-2.0\n...\n%YAML 1.2\n---\n# Empty\n...\n")]
    [InlineData("---\na: 1\n...\n%YAML 1.2\n%YAML 1.2\n---\nb: 2\n")]
    [InlineData("---\na: 1\n...\n---\nb: 2\n%YAML 1.2\n---\nc: 3\n")]
    [InlineData("\uFEFF%YAML 1.2\n---\na: 1\n...\n\uFEFF%YAML 1.1\n---\nb: 2\n...\n\uFEFF---\nc: 3\n\uFEFF---\nd: 4\n")]
    [InlineData("---\na: 1\n...\n\uFEFF%YAML 1.2\n\uFEFF%YAML 1.2\n---\nb: 2\n")]
    [InlineData("---\na: 1\n...\n---\nb: 2\n\uFEFFc: 3\n---\nd: 4\n")]
    public void A_document_read_alone_keeps_its_directives(string text)
    {
        var documents = new List<SourceDocument>();
        var findings = new List<Membrane.Policy.Diagnostics.FieldError>();
        foreach (var chunk in YamlStreamSplitter.Split(text))
        {
            var part = YamlSourceReader.Read("d.yaml", text.Substring(chunk.Start, chunk.Length), null, chunk.FirstLine);
            documents.AddRange(part.Documents);
            findings.AddRange(part.Findings);
            if (!part.Findings.IsEmpty)
            {
                break;
            }
        }

        Assert.Equal(SourceTreeDump.Of(YamlSourceReader.Read("d.yaml", text)), SourceTreeDump.Of(new SourceReadResult([.. documents], [.. findings])));
    }
}
