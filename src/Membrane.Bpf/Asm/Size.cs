namespace Membrane.Bpf.Asm;

/// <summary>The width of a load or store: BPF_SIZE bits of the opcode (uapi linux/bpf_common.h, BPF_DW in linux/bpf.h).</summary>
public enum Size : byte
{
    /// <summary>32 bits (BPF_W).</summary>
    Word = 0x00,

    /// <summary>16 bits (BPF_H).</summary>
    Half = 0x08,

    /// <summary>8 bits (BPF_B).</summary>
    Byte = 0x10,

    /// <summary>64 bits (BPF_DW).</summary>
    DWord = 0x18,
}
