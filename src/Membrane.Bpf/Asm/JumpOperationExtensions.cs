namespace Membrane.Bpf.Asm;

/// <summary>Builders for jumps: compare on 64 bits (JMP) or 32 bits (JMP32) against an immediate or a register, and go
/// to a label when the comparison holds.</summary>
public static class JumpOperationExtensions
{
    private const byte SourceImmediate = 0x00;
    private const byte SourceRegister = 0x08;

    /// <summary><c>if dst op value goto label</c>, comparing 64 bits with the sign-extended immediate.</summary>
    public static Instruction Imm(this JumpOperation operation, Register destination, int value, string label) =>
        Conditional(operation, InstructionClass.Jmp, SourceImmediate, label) with { Destination = destination, Constant = value };

    /// <summary><c>if wdst op value goto label</c>, comparing the low 32 bits.</summary>
    public static Instruction Imm32(this JumpOperation operation, Register destination, int value, string label) =>
        Conditional(operation, InstructionClass.Jmp32, SourceImmediate, label) with { Destination = destination, Constant = value };

    /// <summary><c>if dst op src goto label</c> on 64 bits.</summary>
    public static Instruction Reg(this JumpOperation operation, Register destination, Register source, string label) =>
        Conditional(operation, InstructionClass.Jmp, SourceRegister, label) with { Destination = destination, Source = source };

    /// <summary><c>if wdst op wsrc goto label</c> on 32 bits.</summary>
    public static Instruction Reg32(this JumpOperation operation, Register destination, Register source, string label) =>
        Conditional(operation, InstructionClass.Jmp32, SourceRegister, label) with { Destination = destination, Source = source };

    /// <summary><c>goto label</c>; only <see cref="JumpOperation.Ja"/> jumps unconditionally.</summary>
    public static Instruction Label(this JumpOperation operation, string label)
    {
        if (operation != JumpOperation.Ja)
        {
            throw new ArgumentException($"{operation} is conditional; give it a comparison with Imm or Reg", nameof(operation));
        }

        return new Instruction { OpCode = (byte)InstructionClass.Jmp | (byte)JumpOperation.Ja, Reference = CheckLabel(label) };
    }

    private static Instruction Conditional(JumpOperation operation, InstructionClass instructionClass, byte source, string label)
    {
        if (operation is JumpOperation.Ja or JumpOperation.Call or JumpOperation.Exit)
        {
            throw new ArgumentException(
                $"{operation} takes no comparison; use JumpOperation.Ja.Label, HelperFunction.Call or Instruction.Exit",
                nameof(operation));
        }

        return new Instruction
        {
            OpCode = (byte)((byte)instructionClass | (byte)operation | source),
            Reference = CheckLabel(label),
        };
    }

    private static string CheckLabel(string label)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(label);
        return label;
    }
}
