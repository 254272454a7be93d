namespace Membrane.Datapath.Ebpf.Inspection;

/// <summary>What the verifier made of one generated program: its size and the work it took to prove it safe.</summary>
public sealed record ProgramReport(
    string Program,
    int Instructions,
    int ProcessedInstructions,
    int TotalStates,
    int PeakStates,
    double? VerificationMilliseconds);
