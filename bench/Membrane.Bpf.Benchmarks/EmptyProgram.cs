using Membrane.Bpf.Asm;
using Membrane.Bpf.Programs;

namespace Membrane.Bpf.Benchmarks;

/// <summary>The program the test-run benchmarks measure: returns TC_ACT_OK and does nothing else.</summary>
internal static class EmptyProgram
{
    public static ProgramSpec Spec { get; } =
        new("bench_empty", ProgramType.SchedCls, [AluOperation.Mov.Imm(Register.R0, 0), Instruction.Exit()]);
}
