namespace Membrane.Bpf.Asm;

/// <summary>
/// Jump operations: the BPF_OP bits of a JMP or JMP32 opcode (uapi linux/bpf_common.h, linux/bpf.h). Conditional
/// jumps name a label that <see cref="Linker.Link"/> resolves: <c>JumpOperation.JEq.Imm(Register.R0, 0, "miss")</c>.
/// </summary>
public enum JumpOperation : byte
{
    /// <summary>Unconditional jump (BPF_JA).</summary>
    Ja = 0x00,
    JEq = 0x10,
    JGT = 0x20,
    JGE = 0x30,
    JSet = 0x40,
    JNE = 0x50,
    JSGT = 0x60,
    JSGE = 0x70,
    Call = 0x80,
    Exit = 0x90,
    JLT = 0xa0,
    JLE = 0xb0,
    JSLT = 0xc0,
    JSLE = 0xd0,
}
