namespace Membrane.Bpf.Asm;

/// <summary>
/// The eleven eBPF registers. R0 holds return values, R1–R5 carry call arguments (and are clobbered by calls),
/// R6–R9 survive calls, and R10 is the read-only frame pointer (Documentation/bpf/standardization/instruction-set.rst).
/// </summary>
public enum Register : byte
{
    R0 = 0,
    R1 = 1,
    R2 = 2,
    R3 = 3,
    R4 = 4,
    R5 = 5,
    R6 = 6,
    R7 = 7,
    R8 = 8,
    R9 = 9,
    R10 = 10,
}
