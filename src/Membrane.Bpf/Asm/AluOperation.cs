namespace Membrane.Bpf.Asm;

/// <summary>
/// Arithmetic operations: the BPF_OP bits of an ALU or ALU64 opcode (uapi linux/bpf_common.h, linux/bpf.h). Build
/// instructions with the extension methods, which read like assembly: <c>AluOperation.Add.Imm(Register.R1, -4)</c>.
/// </summary>
public enum AluOperation : byte
{
    Add = 0x00,
    Sub = 0x10,
    Mul = 0x20,
    Div = 0x30,
    Or = 0x40,
    And = 0x50,
    Lsh = 0x60,
    Rsh = 0x70,
    Neg = 0x80,
    Mod = 0x90,
    Xor = 0xa0,
    Mov = 0xb0,
    Arsh = 0xc0,
}
