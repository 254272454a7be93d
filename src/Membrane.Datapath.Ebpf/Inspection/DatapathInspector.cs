using Membrane.Bpf.Programs;
using Membrane.Datapath.Ebpf.Generator;
using Membrane.Datapath.Ebpf.Loading;

namespace Membrane.Datapath.Ebpf.Inspection;

/// <summary>
/// Looks at the generated datapath without an agent: the program of a direction as commented assembly (no kernel
/// needed), and the verifier's statistics for both programs (loads them, with small maps, and unloads them).
/// </summary>
public static class DatapathInspector
{
    /// <summary>
    /// The budget every program stays within, with everything compiled in: the limits of kernels before 5.2, 4,096
    /// instructions (BPF_MAXINSNS) and 131,072 instructions processed by the verifier (BPF_COMPLEXITY_LIMIT_INSNS).
    /// </summary>
    public const int MaxInstructions = 4096;

    public const int MaxProcessedInstructions = 131_072;

    public static bool WithinBudget(ProgramReport report) =>
        report.Instructions <= MaxInstructions && report.ProcessedInstructions <= MaxProcessedInstructions;

    /// <summary>The program that enforces <paramref name="direction"/>'s policy, disassembled, with its comments.</summary>
    public static string Disassemble(byte direction) => DatapathProgramGenerator.Generate(direction).Disassemble();

    public static string ProgramName(byte direction) => DatapathProgramGenerator.Program(direction).Name;

    /// <summary>Loads both programs through the verifier and reports each one's figures. Needs CAP_BPF.</summary>
    public static IReadOnlyList<ProgramReport> Verify()
    {
        // Small maps: the figures are the programs', not the maps'; the verifier's work does not depend on map sizes.
        using var datapath = DatapathLoader.Load(new DatapathLoaderOptions
        {
            Endpoints = 16,
            PolicyEntries = 256,
            IpcacheEntries = 256,
            ConntrackEntries = 256,
            FragmentEntries = 64,
            EventRingBytes = 1 << 16,
        });
        return [Report(datapath.FromEndpoint), Report(datapath.ToEndpoint)];
    }

    private static ProgramReport Report(BpfProgram program)
    {
        var statistics = program.Statistics
            ?? throw new InvalidOperationException($"program '{program.Name}': the verifier log has no statistics line; the kernel may be too old to print one");
        return new ProgramReport(program.Name, statistics.InstructionCount, statistics.ProcessedInstructions, statistics.TotalStates,
            statistics.PeakStates, statistics.VerificationTime?.TotalMilliseconds);
    }
}
