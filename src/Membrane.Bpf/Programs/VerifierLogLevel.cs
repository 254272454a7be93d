namespace Membrane.Bpf.Programs;

/// <summary>The <c>log_level</c> bits of BPF_PROG_LOAD (include/linux/bpf_verifier.h <c>BPF_LOG_LEVEL1</c>,
/// <c>BPF_LOG_LEVEL2</c>, <c>BPF_LOG_STATS</c>).</summary>
[Flags]
public enum VerifierLogLevel : uint
{
    None = 0,

    /// <summary>The verifier's walk, instruction by instruction, with register states at branches.</summary>
    Branch = 1,

    /// <summary>Register states at every instruction: large.</summary>
    Instruction = 2,

    /// <summary>Only the statistics: verification time, stack depth, processed instructions and states.</summary>
    Statistics = 4,
}
