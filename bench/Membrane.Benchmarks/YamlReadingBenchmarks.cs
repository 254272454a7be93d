using BenchmarkDotNet.Attributes;
using Membrane.Policy.Source;

namespace Membrane.Benchmarks;

/// <summary>
/// Reading one YAML stream of 10,000 policy documents (about 16 MB) into source trees, on one
/// thread: the fast reader against the YamlDotNet path it falls back to, on the same text. The
/// input is the peer's (../shared/tools/crd-peer, <c>node gen.js 10000 DIR</c> writes DIR/one.yaml)
/// when MEMBRANE_BENCH_YAML names that file; otherwise the same number of documents from
/// <see cref="PolicyCorpusGenerator"/>, so the benchmark needs no node.
/// </summary>
[MemoryDiagnoser]
[GcConcurrent(false)] // as the membrane CLI runs (Membrane.Cli.csproj)
public class YamlReadingBenchmarks
{
    private string _text = "";

    [GlobalSetup]
    public void Setup()
    {
        var path = Environment.GetEnvironmentVariable("MEMBRANE_BENCH_YAML");
        _text = path is { Length: > 0 } && File.Exists(path)
            ? File.ReadAllText(path)
            : string.Concat(PolicyCorpusGenerator.Generate(10_000, perFile: 10_000).Select(f => f.Text));
        var fast = FastYamlReader.TryRead("one.yaml", _text, SourceLimits.Default, 0)
            ?? throw new InvalidOperationException("the fast reader must handle the benchmark's input, or this measures the fallback");
        var reference = YamlSourceReader.ReadWithYamlDotNet("one.yaml", _text);
        if (fast.Documents.Length != reference.Documents.Length || fast.Documents.Length < 10_000)
        {
            throw new InvalidOperationException($"expected 10,000 documents from both readers, read {fast.Documents.Length} and {reference.Documents.Length}");
        }
    }

    [Benchmark]
    public int Fast() => YamlSourceReader.Read("one.yaml", _text).Documents.Length;

    [Benchmark(Baseline = true)]
    public int YamlDotNet() => YamlSourceReader.ReadWithYamlDotNet("one.yaml", _text).Documents.Length;
}
