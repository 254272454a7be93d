namespace Membrane.Bpf.Asm;

/// <summary>Builders for ALU instructions: 64-bit (ALU64) and 32-bit (ALU, which zero-extends the result), each with an
/// immediate (BPF_K) or a register (BPF_X) source.</summary>
public static class AluOperationExtensions
{
    private const byte SourceImmediate = 0x00;
    private const byte SourceRegister = 0x08;

    /// <summary><c>dst op= value</c> on 64 bits; the 32-bit immediate is sign-extended.</summary>
    public static Instruction Imm(this AluOperation operation, Register destination, int value) =>
        new() { OpCode = Code(InstructionClass.Alu64, operation, SourceImmediate), Destination = destination, Constant = value };

    /// <summary><c>wdst op= value</c> on 32 bits.</summary>
    public static Instruction Imm32(this AluOperation operation, Register destination, int value) =>
        new() { OpCode = Code(InstructionClass.Alu, operation, SourceImmediate), Destination = destination, Constant = value };

    /// <summary><c>dst op= src</c> on 64 bits.</summary>
    public static Instruction Reg(this AluOperation operation, Register destination, Register source) =>
        new() { OpCode = Code(InstructionClass.Alu64, operation, SourceRegister), Destination = destination, Source = source };

    /// <summary><c>wdst op= wsrc</c> on 32 bits.</summary>
    public static Instruction Reg32(this AluOperation operation, Register destination, Register source) =>
        new() { OpCode = Code(InstructionClass.Alu, operation, SourceRegister), Destination = destination, Source = source };

    private static byte Code(InstructionClass instructionClass, AluOperation operation, byte source) =>
        (byte)((byte)instructionClass | (byte)operation | source);
}
