using CsCheck;
using Membrane.Policy.Source;

namespace Membrane.Policy.Tests.Reading;

/// <summary>
/// The fast YAML reader held to the YamlDotNet path: on every file of the corpus, the examples
/// and the scenario tables it must give the same reading and must handle nearly all of them; on
/// mutations of those files it must give the same reading or decline.
/// </summary>
public sealed class FastYamlReaderTests(ITestOutputHelper output)
{
    private static readonly Lazy<List<(string Name, string Text)>> Inputs = new(LoadInputs);

    [Fact]
    public void Every_corpus_file_reads_the_same_and_nearly_all_take_the_fast_path()
    {
        var inputs = Inputs.Value;
        Assert.True(inputs.Count > 100, $"expected over a hundred corpus files, found {inputs.Count}");
        var declined = new List<string>();
        foreach (var (name, text) in inputs)
        {
            var fast = FastYamlReader.TryRead(name, text, SourceLimits.Default, 0);
            if (fast is null)
            {
                declined.Add(name);
                continue;
            }

            Assert.Equal(SourceTreeDump.Of(YamlSourceReader.ReadWithYamlDotNet(name, text)), SourceTreeDump.Of(fast));
        }

        var handled = 1.0 - ((double)declined.Count / inputs.Count);
        output.WriteLine($"fast path: {inputs.Count - declined.Count} of {inputs.Count} files ({handled:P1}); declined: {string.Join(", ", declined)}");
        Assert.True(handled >= 0.95, $"the fast path handled {handled:P1} of {inputs.Count} files; declined: {string.Join(", ", declined)}");
    }

    [Fact]
    public void Streams_split_into_documents_read_the_same_with_their_line_numbers()
    {
        foreach (var (name, text) in Inputs.Value.Where(i => i.Text.Contains("\n---", StringComparison.Ordinal)))
        {
            foreach (var chunk in YamlStreamSplitter.Split(text))
            {
                var part = text.Substring(chunk.Start, chunk.Length);
                var fast = FastYamlReader.TryRead(name, part, SourceLimits.Default, chunk.FirstLine - 1);
                if (fast is not null)
                {
                    Assert.Equal(SourceTreeDump.Of(YamlSourceReader.ReadWithYamlDotNet(name, part, null, chunk.FirstLine)), SourceTreeDump.Of(fast));
                }
            }
        }
    }

    /// <summary>
    /// The property that makes the fast path safe: whatever the input, it either declines or
    /// reads exactly what YamlDotNet reads. CsCheck prints the seed of a failing case; set
    /// CsCheck_Seed to it to reproduce. MEMBRANE_FUZZ_ITERATIONS raises the budget.
    /// </summary>
    [Fact]
    public void Mutated_files_read_the_same_or_go_to_YamlDotNet()
    {
        // The corpus, and small files of the constructs the subset reads, so mutations reach each.
        var seeds = Inputs.Value.Select(i => i.Text).Concat(Features).ToList();
        var iterations = int.TryParse(Environment.GetEnvironmentVariable("MEMBRANE_FUZZ_ITERATIONS"), out var n) ? n : 3_000;
        var handled = 0;
        var limits = new SourceLimits { MinAliasBudget = 50 };
        YamlMutator.Mutated(seeds).Sample(text =>
        {
            foreach (var bounds in new[] { SourceLimits.Default, limits })
            {
                var fast = FastYamlReader.TryRead("m.yaml", text, bounds, 0);
                if (fast is not null)
                {
                    Interlocked.Increment(ref handled);
                    Assert.Equal(SourceTreeDump.Of(YamlSourceReader.ReadWithYamlDotNet("m.yaml", text, bounds)), SourceTreeDump.Of(fast));
                }
            }
        }, iter: iterations, threads: 1);

        output.WriteLine($"fast path: {handled} of {2 * iterations} mutated readings");

        // A mutation leaves most of a file as it was, so many still read on the fast path.
        Assert.True(handled > iterations / 5, $"the fast path handled only {handled} of {2 * iterations} mutated readings");
    }

    [Theory]
    [InlineData("a: \"\\n\\t\\\"\\\\\\/\\x41\\u00e9\\U0001F600\"\n", "\n\t\"\\/A\u00e9\U0001F600")]
    [InlineData("a: \"\\0\\a\\b\\v\\f\\r\\e\\ \\N\\_\\L\\P\"\n", "\0\a\b\v\f\r\u001b \u0085\u00a0\u2028\u2029")]
    [InlineData("a: 'it''s'\n", "it's")]
    [InlineData("a: \"one\n  two\n\n  three\"\n", "one two\nthree")]
    [InlineData("a: \"joined\\\n   here\"\n", "joinedhere")]
    [InlineData("a: 'single\n  folded  '\n", "single folded  ")]
    [InlineData("a: plain\n  folded\n\n\n  twice\n", "plain folded\n\ntwice")]
    [InlineData("a: |\n  line\n   more\n\n", "line\n more\n")]
    [InlineData("a: |-\n  line\n\n", "line")]
    [InlineData("a: |+\n  line\n\n", "line\n\n")]
    [InlineData("a: >\n  folded\n  text\n\n  para\n   indented\n", "folded text\npara\n indented\n")]
    [InlineData("a: >-\n  x\n  y\n", "x y")]
    [InlineData("a: |2\n    two more\n", "  two more\n")]
    [InlineData("- |1-\n  x\n", " x")]
    [InlineData("a: | # comment\n  x\nb: 1\n", "x\n")]
    public void Scalars_read_as_YAML_defines_them(string yaml, string expected)
    {
        var fast = AssertSame(yaml);
        var root = Assert.Single(fast.Documents).Root;
        var value = root is SourceMapping m ? m.Entries[0].Value : ((SourceSequence)root).Items[0];
        Assert.Equal(expected, Assert.IsType<SourceScalar>(value).Text);
    }

    [Theory]
    [InlineData("a: {b: 1, c: [x, \"y\", 'z'], d: {}}\n")]
    [InlineData("a: [1, 2,\n  3, {k: v},\n  ]\n")]
    [InlineData("{a: 1, b: [x, y]}\n")]
    [InlineData("[a, b c, -1, 'q']\n")]
    [InlineData("a: {x: http://h:80/p, y: \"a,b\"}  # c\n")]
    [InlineData("a: [ # open\n  b, # one\n  c\n]\n")]
    [InlineData("a: {k: v, k: w}\n")]
    public void Flow_collections_read_the_same(string yaml) => AssertSame(yaml);

    [Theory]
    [InlineData("a: 1\nb:\n  c: x\n  d:\n  - 1\n  - two\n  e:\n")]
    [InlineData("- a: 1\n  b: 2\n-\n- - x\n  - y\n-   z\n")]
    [InlineData("  a: 1\n  b: 2\n")]
    [InlineData("a:\n    - x\n    -\n    - y: 1\n      z: 2\n")]
    [InlineData("\"q\": 1\n'r' : 2\nkey with spaces: v\n")]
    [InlineData("# c\n---\na: 1\n...\n---\n- 1\n--- # two\n---\nb: 2\n")]
    [InlineData("%YAML 1.2\n---\na: 1\n")]
    [InlineData("%YAML 1.2\n---\na: 1\n...\n%YAML 1.2\n---\nb: 2\n...\n")]
    [InlineData("%YAML 1.1\n---\na: 1\n...\n# next\n\n%YAML 1.2\n---\n- b\n---\nc: 3\n")]
    [InlineData("---\na: 1\n...\n%YAML 1.1\n--- # with a comment\nb: 2\n")]
    [InlineData("\uFEFF%YAML 1.2\n---\na: 1\n...\n\uFEFF%YAML 1.2\n---\nb: 2\n\uFEFF---\nc: [3]\n")]
    [InlineData("a: &x 1\nb: *x\nc: &m\n  k: v\nd: *m\ne: &s\n- 1\nf: [1]\n")]
    [InlineData("a: ~\nb: null\nc: yes\nd: 0x1F\ne: 1e3\nf: .inf\ng: '1'\nh: \"true\"\n1: x\n01: y\n")]
    [InlineData("a: b#c\nd: e # f\ng: -h\ni: x:y\nj: --\n")]
    [InlineData("a:\nb: 2\n")]
    public void Block_collections_and_positions_read_the_same(string yaml) => AssertSame(yaml);

    [Theory]
    [InlineData("a: !!str 1\n")]
    [InlineData("? a\n: b\n")]
    [InlineData("a:\n\tb: 1\n")]
    [InlineData("a: b: c\n")]
    [InlineData("a: [1, 2\n")]
    [InlineData("a: \"\\q\"\n")]
    [InlineData("a: \"\\ud800\"\n")]
    [InlineData("a: *nowhere\n")]
    [InlineData("a: 1\n- b\n")]
    [InlineData("%TAG ! tag:x,2000:\n---\na: 1\n")]
    [InlineData("a: 1\r\nb: 2\r\n")]
    [InlineData("a: |0\n x\n")]
    [InlineData("scalar at the root\n")]
    [InlineData("a: {b}\n")]
    [InlineData("a: [b: c]\n")]
    [InlineData("a: {\"b\":1}\n")]
    [InlineData("%YAML 1.2\n")]
    [InlineData("%YAML 1.2\n%YAML 1.2\n---\na: 1\n")]
    [InlineData("---\na: 1\n...\n%YAML 1.2\n%YAML 1.2\n---\nb: 2\n")]
    [InlineData("---\na: 1\n%YAML 1.2\n---\nb: 2\n")]
    [InlineData("---\na: 1\n...\n%YAML 1.2\nb: 2\n")]
    [InlineData("---\na: 1\n...\n%YAML 1.2\n")]
    [InlineData("%YAML 1.3\n---\na: 1\n")]
    [InlineData("a: x\uFEFFy\n")]
    [InlineData("a: 1\n\uFEFFb: 2\n")]
    [InlineData("%YAML 1.2\n\uFEFF---\na: 1\n")]
    public void Anything_outside_the_subset_goes_to_YamlDotNet(string yaml)
    {
        Assert.Null(FastYamlReader.TryRead("t.yaml", yaml, SourceLimits.Default, 0));
        Assert.Equal(SourceTreeDump.Of(YamlSourceReader.ReadWithYamlDotNet("t.yaml", yaml)), SourceTreeDump.Of(YamlSourceReader.Read("t.yaml", yaml)));
    }

    [Fact]
    public void Limits_are_left_to_the_YamlDotNet_path_to_report()
    {
        var deep = string.Concat(Enumerable.Repeat("[", 10)) + string.Concat(Enumerable.Repeat("]", 10)) + "\n";
        Assert.Null(FastYamlReader.TryRead("t.yaml", deep, new SourceLimits { MaxDepth = 5 }, 0));
        var bomb = "a: &a [1, 2]\nb: &b {x: *a, y: *a}\nc: [*b, *b, *b]\n";
        Assert.Null(FastYamlReader.TryRead("t.yaml", bomb, new SourceLimits { MinAliasBudget = 3 }, 0));
        Assert.NotNull(FastYamlReader.TryRead("t.yaml", "a: &a [1, 2]\nb: *a\n", SourceLimits.Default, 0));
    }

    private static readonly string[] Features =
    [
        "a: \"x\\ty \\u00e9\n  z\\\n  w\"\nb: 'q''r\n\n  s'\n",
        "a: |\n  one\n   two\n\n  three\nb: >-\n  four\n  five\n\n   six\nc: |+2\n    x\n\n",
        "a: plain\n  folded\n\n  more\nb: c # d\n",
        "- a: 1\n  b: [x, {y: z}]\n-\n- - p\n  - q\n- &n {k: v}\n- *n\n",
        "k:\n- 1\n- two\nl: &m\n  x: 1\nm: *m\n",
        "%YAML 1.2\n---\na: {b: 1,\n  c: [2, 3],\n  }\n...\n---\n- x\n",
        "%YAML 1.1\n---\na: [1]\n...\n%YAML 1.2\n---\nb:\n- x\n...\n",
    ];

    private static SourceReadResult AssertSame(string yaml)
    {
        var fast = FastYamlReader.TryRead("t.yaml", yaml, SourceLimits.Default, 0);
        Assert.NotNull(fast);
        Assert.Equal(SourceTreeDump.Of(YamlSourceReader.ReadWithYamlDotNet("t.yaml", yaml)), SourceTreeDump.Of(fast));
        return fast;
    }

    private static List<(string Name, string Text)> LoadInputs()
    {
        var root = FindRoot();
        var corpus = Path.GetFullPath(Path.Combine(root, "..", "shared", "corpus"));
        var files = new[] { Path.Combine(corpus, "cilium-examples"), Path.Combine(corpus, "cilium-tests"), Path.Combine(corpus, "crds"), Path.Combine(root, "examples") }
            .Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateFiles(d, "*.yaml", SearchOption.AllDirectories))
            .Concat(Directory.EnumerateFiles(Path.Combine(root, "tests"), "*.yaml", SearchOption.AllDirectories).Where(f => f.Contains($"{Path.DirectorySeparatorChar}Scenarios{Path.DirectorySeparatorChar}", StringComparison.Ordinal)))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal) && !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(f => (Path.GetRelativePath(root, f), File.ReadAllText(f)))
            .ToList();

        // The policies embedded in the scenario tables ("policy: |" blocks) are inputs too.
        var embedded = new List<(string, string)>();
        foreach (var (name, text) in files.Where(f => f.Item1.Contains("Scenarios", StringComparison.Ordinal)))
        {
            foreach (var document in YamlSourceReader.ReadWithYamlDotNet(name, text).Documents)
            {
                Collect(document.Root, name, embedded);
            }
        }

        return [.. files, .. embedded];
    }

    private static void Collect(SourceNode node, string name, List<(string, string)> into)
    {
        switch (node)
        {
            case SourceMapping mapping:
                foreach (var (key, value) in mapping.Entries)
                {
                    if (key.Text is "policy" or "policies" or "yaml" && value is SourceScalar { Kind: ScalarKind.String } scalar && scalar.Text.Contains('\n', StringComparison.Ordinal))
                    {
                        into.Add(($"{name}:{scalar.Position.Line}", scalar.Text));
                    }
                    else
                    {
                        Collect(value, name, into);
                    }
                }

                break;
            case SourceSequence sequence:
                foreach (var item in sequence.Items)
                {
                    Collect(item, name, into);
                }

                break;
        }
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Membrane.slnx")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"no Membrane.slnx above {AppContext.BaseDirectory}");
    }
}
