using BenchmarkDotNet.Attributes;
using Membrane.Policy.Validation;

namespace Membrane.Benchmarks;

/// <summary>
/// Validating 10,000 policies (100 files of 100 documents): read, bind, validate and lint. The goal
/// is under 2 s on the project's 2-core machine, with allocation proportional to the input.
/// </summary>
[MemoryDiagnoser]
[GcConcurrent(false)] // as the membrane CLI runs (Membrane.Cli.csproj)
public class ValidationBenchmarks
{
    private List<PolicyText> _files = [];

    [Params(1_000, 10_000)]
    public int Policies { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _files = PolicyCorpusGenerator.Generate(Policies, perFile: 100);
        var report = PolicyValidationService.Validate(_files);
        if (!report.IsValid || report.PolicyCount != Policies)
        {
            throw new InvalidOperationException($"the generated policies must be valid: {report.Summary}");
        }
    }

    [Benchmark]
    public int Validate() => PolicyValidationService.Validate(_files).PolicyCount;

    [Benchmark]
    public int ValidateAndLint() => PolicyValidationService.Validate(_files, new ValidationOptions { Lint = true }).PolicyCount;
}
