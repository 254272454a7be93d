namespace Membrane.Bpf.Asm;

/// <summary>The low three bits of an opcode (BPF_CLASS in uapi linux/bpf_common.h and linux/bpf.h).</summary>
public enum InstructionClass : byte
{
    Ld = 0x00,
    Ldx = 0x01,
    St = 0x02,
    Stx = 0x03,
    Alu = 0x04,
    Jmp = 0x05,
    Jmp32 = 0x06,
    Alu64 = 0x07,
}
