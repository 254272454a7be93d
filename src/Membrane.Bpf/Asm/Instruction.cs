using System.Buffers.Binary;

namespace Membrane.Bpf.Asm;

/// <summary>
/// One eBPF instruction as plain data: the fields of <c>struct bpf_insn</c> (uapi linux/bpf.h) plus two symbolic
/// ones. <see cref="Symbol"/> names this instruction as a jump target; <see cref="Reference"/> names the label a jump
/// goes to (resolved by <see cref="Linker.Link"/>) or, on a map load, the map whose descriptor the loader puts in.
/// A 64-bit immediate load (<c>ld_imm64</c>) is one value here but two 8-byte slots in the encoding.
/// </summary>
public readonly record struct Instruction
{
    /// <summary>The size of one encoded slot (<c>sizeof(struct bpf_insn)</c>).</summary>
    public const int SlotSize = 8;

    /// <summary><c>BPF_PSEUDO_MAP_FD</c>: in a <c>ld_imm64</c>, src_reg 1 means the immediate is a map descriptor that
    /// the verifier replaces with the map's address.</summary>
    public const byte PseudoMapFd = 1;

    private const byte LoadImm64OpCode = (byte)InstructionClass.Ld | (byte)Size.DWord; // BPF_LD | BPF_IMM | BPF_DW
    private const byte ModeMem = 0x60;
    private const byte ModeAtomic = 0xc0;
    private const byte EndOpCode = 0xd0;
    private const byte ToBigEndianSource = 0x08;

    public byte OpCode { get; init; }

    public Register Destination { get; init; }

    public Register Source { get; init; }

    public short Offset { get; init; }

    /// <summary>The immediate: 32 bits sign-extended, or all 64 bits of a <c>ld_imm64</c>.</summary>
    public long Constant { get; init; }

    /// <summary>The label this instruction defines, if any.</summary>
    public string? Symbol { get; init; }

    /// <summary>The label a jump goes to, or the map name a map load refers to.</summary>
    public string? Reference { get; init; }

    /// <summary>A note for people reading the disassembly (why this instruction is here); never encoded, so the kernel
    /// never sees it and a decoded instruction has none.</summary>
    public string? Comment { get; init; }

    public InstructionClass Class => (InstructionClass)(OpCode & 0x07);

    /// <summary>Whether this is <c>ld_imm64</c>, the only instruction that takes two slots.</summary>
    public bool IsLoadImm64 => OpCode == LoadImm64OpCode;

    /// <summary>Whether this loads a map reference (by name or by descriptor).</summary>
    public bool IsMapLoad => IsLoadImm64 && (byte)Source == PseudoMapFd;

    /// <summary>Whether this is a jump whose offset counts slots: any JMP or JMP32 except call and exit.</summary>
    public bool IsJump => Class is InstructionClass.Jmp or InstructionClass.Jmp32 &&
                          (OpCode & 0xf0) is not ((byte)JumpOperation.Call or (byte)JumpOperation.Exit);

    /// <summary>8 bytes, or 16 for <c>ld_imm64</c>.</summary>
    public int SlotCount => IsLoadImm64 ? 2 : 1;

    /// <summary>This instruction, defining <paramref name="label"/> as a jump target.</summary>
    public Instruction WithSymbol(string label)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        return this with { Symbol = label };
    }

    /// <summary>This instruction, carrying <paramref name="comment"/> into the disassembly.</summary>
    public Instruction WithComment(string comment)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(comment);
        return this with { Comment = comment };
    }

    /// <summary><c>dst = value</c> with all 64 bits (<c>ld_imm64</c>).</summary>
    public static Instruction LoadImm64(Register destination, long value) =>
        new() { OpCode = LoadImm64OpCode, Destination = destination, Constant = value };

    /// <summary><c>dst = map</c>: a pointer to the map named <paramref name="mapName"/>, whose descriptor the program
    /// loader fills in from the maps it is given.</summary>
    public static Instruction LoadMapPtr(Register destination, string mapName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(mapName);
        return new() { OpCode = LoadImm64OpCode, Destination = destination, Source = (Register)PseudoMapFd, Reference = mapName };
    }

    /// <summary><c>dst = map</c> for a map given by its open descriptor.</summary>
    public static Instruction LoadMapPtr(Register destination, int mapFd) =>
        new() { OpCode = LoadImm64OpCode, Destination = destination, Source = (Register)PseudoMapFd, Constant = mapFd };

    /// <summary><c>dst = *(size *)(src + offset)</c>.</summary>
    public static Instruction LoadMem(Register destination, Register source, short offset, Size size) =>
        new() { OpCode = (byte)((byte)InstructionClass.Ldx | ModeMem | (byte)size), Destination = destination, Source = source, Offset = offset };

    /// <summary><c>*(size *)(dst + offset) = src</c>.</summary>
    public static Instruction StoreMem(Register destination, short offset, Register source, Size size) =>
        new() { OpCode = (byte)((byte)InstructionClass.Stx | ModeMem | (byte)size), Destination = destination, Source = source, Offset = offset };

    /// <summary><c>*(size *)(dst + offset) = value</c>.</summary>
    public static Instruction StoreImm(Register destination, short offset, int value, Size size) =>
        new() { OpCode = (byte)((byte)InstructionClass.St | ModeMem | (byte)size), Destination = destination, Offset = offset, Constant = value };

    /// <summary><c>lock *(size *)(dst + offset) += src</c>: an atomic add of a word or double word (BPF_ATOMIC with
    /// imm BPF_ADD).</summary>
    public static Instruction AtomicAdd(Register destination, short offset, Register source, Size size)
    {
        if (size is not (Size.Word or Size.DWord))
        {
            throw new ArgumentException("atomic operations work on words and double words only", nameof(size));
        }

        return new() { OpCode = (byte)((byte)InstructionClass.Stx | ModeAtomic | (byte)size), Destination = destination, Source = source, Offset = offset, Constant = (int)AluOperation.Add };
    }

    /// <summary><c>dst = be16/be32/be64 dst</c>: converts host to network byte order (BPF_END with BPF_TO_BE).</summary>
    public static Instruction ToBigEndian(Register destination, int bits) => Endian(destination, bits, ToBigEndianSource);

    /// <summary><c>dst = le16/le32/le64 dst</c>: converts host to little-endian byte order (BPF_END with BPF_TO_LE).</summary>
    public static Instruction ToLittleEndian(Register destination, int bits) => Endian(destination, bits, 0);

    /// <summary><c>call helper</c>.</summary>
    public static Instruction Call(HelperFunction helper) => helper.Call();

    /// <summary><c>exit</c>: return R0 to the caller.</summary>
    public static Instruction Exit() =>
        new() { OpCode = (byte)InstructionClass.Jmp | (byte)JumpOperation.Exit };

    private static Instruction Endian(Register destination, int bits, byte source)
    {
        if (bits is not (16 or 32 or 64))
        {
            throw new ArgumentOutOfRangeException(nameof(bits), bits, "byte swaps are 16, 32 or 64 bits wide");
        }

        return new() { OpCode = (byte)((byte)InstructionClass.Alu | EndOpCode | source), Destination = destination, Constant = bits };
    }

    /// <summary>Writes the <see cref="SlotCount"/> little-endian slots of this instruction (bpf is little-endian on
    /// every architecture .NET runs on).</summary>
    public void WriteTo(Span<byte> destination)
    {
        if (destination.Length < SlotCount * SlotSize)
        {
            throw new ArgumentException($"needs {SlotCount * SlotSize} bytes", nameof(destination));
        }

        destination[0] = OpCode;
        destination[1] = (byte)(((byte)Source << 4) | ((byte)Destination & 0x0f));
        BinaryPrimitives.WriteInt16LittleEndian(destination[2..], Offset);
        BinaryPrimitives.WriteInt32LittleEndian(destination[4..], unchecked((int)Constant));
        if (IsLoadImm64)
        {
            // The second slot of ld_imm64 is a pseudo instruction: all zero except imm, which holds the high 32 bits.
            destination.Slice(SlotSize, 4).Clear();
            BinaryPrimitives.WriteInt32LittleEndian(destination[(SlotSize + 4)..], unchecked((int)(Constant >> 32)));
        }
    }

    /// <summary>Decodes raw slots (such as the kernel's translated program) into instructions.</summary>
    public static Instruction[] Decode(ReadOnlySpan<byte> slots)
    {
        if (slots.Length % SlotSize != 0)
        {
            throw new ArgumentException($"{slots.Length} bytes is not a whole number of {SlotSize}-byte slots", nameof(slots));
        }

        var result = new List<Instruction>(slots.Length / SlotSize);
        for (var position = 0; position < slots.Length;)
        {
            var slot = slots[position..];
            var instruction = new Instruction
            {
                OpCode = slot[0],
                Destination = (Register)(slot[1] & 0x0f),
                Source = (Register)(slot[1] >> 4),
                Offset = BinaryPrimitives.ReadInt16LittleEndian(slot[2..]),
                Constant = BinaryPrimitives.ReadInt32LittleEndian(slot[4..]),
            };
            if (instruction.IsLoadImm64)
            {
                if (slot.Length < 2 * SlotSize)
                {
                    throw new ArgumentException("ld_imm64 at the end lacks its second slot", nameof(slots));
                }

                var high = (long)BinaryPrimitives.ReadInt32LittleEndian(slot[(SlotSize + 4)..]);
                instruction = instruction with { Constant = (high << 32) | (uint)BinaryPrimitives.ReadInt32LittleEndian(slot[4..]) };
            }

            result.Add(instruction);
            position += instruction.SlotCount * SlotSize;
        }

        return [.. result];
    }

    public override string ToString() => Disassembler.Format(this);
}
