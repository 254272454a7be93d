namespace Membrane.Bpf.Asm;

/// <summary>The linker could not turn labels into offsets: a label is unknown or defined twice, or a jump does not
/// fit in the 16-bit offset or lands outside the program. <see cref="Index"/> is the offending instruction.</summary>
public sealed class LinkerException(string message, int index) : Exception($"instruction {index}: {message}")
{
    /// <summary>The index (in instructions, not slots) of the instruction at fault.</summary>
    public int Index { get; } = index;
}
