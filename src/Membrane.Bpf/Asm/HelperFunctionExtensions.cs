namespace Membrane.Bpf.Asm;

/// <summary>The builder for helper calls: <c>HelperFunction.MapLookupElem.Call()</c>.</summary>
public static class HelperFunctionExtensions
{
    /// <summary><c>call helper</c>: arguments in R1–R5, result in R0; R1–R5 are clobbered.</summary>
    public static Instruction Call(this HelperFunction helper) =>
        new() { OpCode = (byte)InstructionClass.Jmp | (byte)JumpOperation.Call, Constant = (int)helper };
}
