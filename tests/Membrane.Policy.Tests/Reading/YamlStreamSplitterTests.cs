using Membrane.Policy.Source;

namespace Membrane.Policy.Tests.Reading;

public sealed class YamlStreamSplitterTests
{
    [Theory]
    [InlineData("a: 1\n", new[] { "a: 1\n" })]
    [InlineData("a: 1\n---\nb: 2\n", new[] { "a: 1\n", "---\nb: 2\n" })]
    [InlineData("---\na: 1\n--- \nb: 2", new[] { "---\na: 1\n", "--- \nb: 2" })]
    [InlineData("a: 1\n...\n%YAML 1.2\n---\nb: 2\n", new[] { "a: 1\n...\n", "%YAML 1.2\n---\nb: 2\n" })]
    [InlineData("a: |\n  ---x\n----\n", new[] { "a: |\n  ---x\n----\n" })]
    [InlineData("a: \"x\n --- y\"\n", new[] { "a: \"x\n --- y\"\n" })]
    [InlineData("", new[] { "" })]
    public void Documents_split_at_markers_only(string text, string[] parts)
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
}
