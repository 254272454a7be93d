using Membrane.Policy.Diagnostics;
using Membrane.Policy.Source;

namespace Membrane.Policy.Tests.Reading;

/// <summary>
/// Byte order marks in a YAML stream (<see cref="ByteOrderMarks"/>). One may begin each document
/// (YAML 1.2 §5.2, §9.1.1, §9.2): every path reads such a stream as it reads the stream without its
/// marks. Inside a scalar or in the middle of a line a mark is text; at the start of any other line
/// it is an error at the mark.
/// </summary>
public sealed class ByteOrderMarksTests
{
    private const string Bom = "\uFEFF";

    private const string MisplacedMark =
        "YAML syntax error: a byte order mark (U+FEFF) at the start of a line inside a document or among its directives; one may stand only before a document, " +
        "ahead of its directives: at the start of the stream, after a \"...\" line, or right before a \"---\" line (YAML 1.2 §5.2, §9.2)";

    [Theory]
    [InlineData("a: 1\n...\n" + Bom + "%YAML 1.2\n---\nb: 2\n")]
    [InlineData(Bom + "%YAML 1.2\n---\na: 1\n")]
    [InlineData(Bom + "a: 1\n")]
    [InlineData(Bom + Bom + "# two marks\na: 1\n")]
    [InlineData("%YAML 1.1\n---\na: 1\n...\n" + Bom + "# the next document\n" + Bom + "\n%YAML 1.2\n---\nb: [2]\n")]
    [InlineData("a: 1\n...\n" + Bom + "---\nb: 2\n")]
    [InlineData("a: 1\n...\n" + Bom + "b: 2\n")]
    [InlineData("---\na: 1\n" + Bom + "---\nb: 2\n")]
    [InlineData("- a\n" + Bom + "...\n---\n- b\n")]
    [InlineData("a: |\n  text\n" + Bom + "--- {b: 2}\n")]
    [InlineData(Bom + "--- {a: 1}\n...\n" + Bom + "--- [b]\n")]
    public void A_mark_that_begins_a_document_reads_as_if_it_were_not_there(string text)
    {
        var without = text.Replace(Bom, "", StringComparison.Ordinal);
        var expected = SourceTreeDump.Of(YamlSourceReader.ReadWithYamlDotNet("m.yaml", without));
        Assert.Empty(YamlSourceReader.ReadWithYamlDotNet("m.yaml", without).Findings);

        Assert.Equal(expected, SourceTreeDump.Of(YamlSourceReader.ReadWithYamlDotNet("m.yaml", text)));
        Assert.Equal(expected, SourceTreeDump.Of(YamlSourceReader.Read("m.yaml", text)));
        if (FastYamlReader.TryRead("m.yaml", without, SourceLimits.Default, 0) is not null)
        {
            Assert.Equal(expected, SourceTreeDump.Of(FastYamlReader.TryRead("m.yaml", text, SourceLimits.Default, 0)!));
        }
    }

    /// <summary>
    /// The stream an adversarial tester wrote: two files, each saved with a byte order mark and
    /// opening with %YAML, joined after a "...". The mark was read as text, so the directive became
    /// a document holding the string "\uFEFF%YAML 1.2", which is no policy.
    /// </summary>
    [Fact]
    public void Joined_files_that_each_open_with_a_mark_and_a_directive_read_as_their_documents_on_the_fast_path()
    {
        const string text = Bom + "%YAML 1.2\n---\na: 1\n...\n" + Bom + "%YAML 1.2\n---\nb: [2]\n";

        var fast = FastYamlReader.TryRead("j.yaml", text, SourceLimits.Default, 0);

        Assert.NotNull(fast);
        Assert.Empty(fast.Findings);
        Assert.Equal([(3, 1), (7, 1)], fast.Documents.Select(d => (d.Root.Position.Line, d.Root.Position.Column)));
        Assert.Equal(SourceTreeDump.Of(YamlSourceReader.ReadWithYamlDotNet("j.yaml", text)), SourceTreeDump.Of(fast));
    }

    /// <summary>
    /// A mark is not text, so columns do not count it, as they do not count the one that opens a
    /// file (which the reading of the file takes off): the "{" after "\uFEFF--- " is at column 5.
    /// </summary>
    [Fact]
    public void Columns_on_a_marked_line_do_not_count_the_mark()
    {
        var read = YamlSourceReader.Read("c.yaml", "a: 1\n...\n" + Bom + "--- {b: 2}\n");

        Assert.Equal(new SourcePosition("c.yaml", 3, 5), read.Documents[1].Root.Position);
    }

    [Theory]
    [InlineData("a: x" + Bom + "y\n", "x" + Bom + "y")]
    [InlineData("a: \"" + Bom + "x\"\n", Bom + "x")]
    [InlineData("a: '" + Bom + "x'\n", Bom + "x")]
    [InlineData("a: \"x\n  " + Bom + "y\"\n", "x " + Bom + "y")]
    [InlineData("a: |\n  " + Bom + "x\n", Bom + "x\n")]
    [InlineData("--- |\n" + Bom + "x\n", Bom + "x\n")]
    public void A_mark_inside_a_scalar_or_a_line_is_text(string text, string value)
    {
        foreach (var read in new[] { YamlSourceReader.Read("t.yaml", text), YamlSourceReader.ReadWithYamlDotNet("t.yaml", text) })
        {
            Assert.Empty(read.Findings);
            var root = Assert.Single(read.Documents).Root;
            var scalar = root is SourceMapping mapping ? mapping.Entries[0].Value : root;
            Assert.Equal(value, Assert.IsType<SourceScalar>(scalar).Text);
        }
    }

    /// <summary>
    /// YAML allows no mark at the start of any other line (§5.2, example 5.2 "Invalid Byte Order
    /// Mark"): not inside a document, nor among a document's directives. YamlDotNet read one as the
    /// first character of a plain scalar, so "\uFEFFb: 2" was a key "\uFEFFb" that looks like "b", and
    /// elsewhere it reported the scalar where it could not stand. The documents before are kept. The
    /// one valid place left out, before comment lines that end a document, is refused the same way.
    /// </summary>
    [Theory]
    [InlineData("- Invalid use of BOM\n" + Bom + "\n- Inside a document.\n", 2, 0)]
    [InlineData("a: 1\n" + Bom + "b: 2\n", 2, 0)]
    [InlineData("x: 1\n...\n---\na: 1\n" + Bom + "b: 2\n", 5, 1)]
    [InlineData("[1,\n" + Bom + "2]\n", 2, 0)]
    [InlineData("---\na: 1\n" + Bom + "%YAML 1.2\n---\nb: 2\n", 3, 0)]
    [InlineData("%YAML 1.2\n" + Bom + "---\na: 1\n", 2, 0)]
    [InlineData("%YAML 1.2\n" + Bom + "# c\n---\na: 1\n", 2, 0)]
    [InlineData("x: 1\n...\n%YAML 1.2\n# c\n" + Bom + "%TAG !e! tag:example.com,2000:\n---\na: 1\n", 5, 1)]
    [InlineData("---\na: 1\n" + Bom + "# c\n---\nb: 2\n", 3, 0)]
    public void A_mark_at_the_start_of_another_line_is_an_error_there(string text, int line, int kept)
    {
        Assert.Null(FastYamlReader.TryRead("bom.yaml", text, SourceLimits.Default, 0));
        foreach (var read in new[] { YamlSourceReader.Read("bom.yaml", text), YamlSourceReader.ReadWithYamlDotNet("bom.yaml", text) })
        {
            var finding = Assert.Single(read.Findings);
            Assert.Equal(("MBR1061", FieldErrorKind.Syntax, new SourcePosition("bom.yaml", line, 1), MisplacedMark), (finding.Code, finding.Kind, finding.Position, finding.Detail));
            Assert.Equal(kept, read.Documents.Length);
        }
    }

    [Fact]
    public void A_misplaced_mark_is_reported_at_its_line_in_the_file_when_a_part_of_a_stream_is_read()
    {
        var read = YamlSourceReader.Read("part.yaml", "---\na: 1\n" + Bom + "b: 2\n", null, firstLine: 41);

        Assert.Equal(new SourcePosition("part.yaml", 43, 1), Assert.Single(read.Findings).Position);
    }
}
