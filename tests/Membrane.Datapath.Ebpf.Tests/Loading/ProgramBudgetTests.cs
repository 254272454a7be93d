using Membrane.Bpf.Programs;
using Membrane.Datapath.Ebpf.Inspection;
using Membrane.Datapath.Ebpf.Loading;
using Membrane.Datapath.Ebpf.Tests.Support;
using Membrane.Datapath.Ebpf.Tests.Loading;

namespace Membrane.Datapath.Ebpf.Tests.Loading;

/// <summary>
/// Both programs pass the verifier and stay within the limits of old kernels (docs/datapath.md §10): 4,096
/// instructions (BPF_MAXINSNS before 5.2 for unprivileged loads) and 131,072 processed instructions (the verifier's
/// complexity limit before 5.2).
/// </summary>
[Collection(DatapathKernelCollection.Name)]
public sealed class ProgramBudgetTests(ITestOutputHelper output)
{

    [Fact]
    public void Both_programs_load_within_the_instruction_and_complexity_budget()
    {
        Root.Require();
        using var datapath = DatapathLoader.Load(TestDatapath.SmallMaps);
        foreach (var program in new[] { datapath.FromEndpoint, datapath.ToEndpoint })
        {
            var statistics = Assert.IsType<VerifierStatistics>(program.Statistics);
            output.WriteLine(
                $"{program.Name}: {statistics.InstructionCount} instructions, {statistics.ProcessedInstructions} processed, " +
                $"{statistics.TotalStates} states (peak {statistics.PeakStates}), verified in {statistics.VerificationTime?.TotalMilliseconds} ms");
            Assert.InRange(statistics.InstructionCount, 1, DatapathInspector.MaxInstructions);
            Assert.InRange(statistics.ProcessedInstructions, 1, DatapathInspector.MaxProcessedInstructions);
        }
    }
}
