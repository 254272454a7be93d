using Membrane.Bpf.Asm;
using static Membrane.Bpf.Asm.Register;

namespace Membrane.Bpf.Tests.Asm;

public sealed class LinkerTests
{
    [Fact]
    public void Offsets_count_slots_so_ld_imm64_counts_twice()
    {
        var linked = Linker.Link(
        [
            JumpOperation.JEq.Imm(R1, 0, "out"),
            Instruction.LoadImm64(R0, 7),
            JumpOperation.Ja.Label("out"),
            AluOperation.Mov.Imm(R0, 1),
            Instruction.Exit().WithSymbol("out"),
        ]);
        Assert.Equal(4, linked[0].Offset); // skips ld_imm64 (2 slots), ja, mov
        Assert.Equal(1, linked[2].Offset);
    }

    [Fact]
    public void Backward_jumps_get_negative_offsets()
    {
        var linked = Linker.Link(
        [
            AluOperation.Add.Imm(R0, 1).WithSymbol("loop"),
            JumpOperation.JLT.Imm(R0, 10, "loop"),
            Instruction.Exit(),
        ]);
        Assert.Equal(-2, linked[1].Offset);
    }

    [Fact]
    public void Unknown_label_is_an_error_naming_it()
    {
        var error = Assert.Throws<LinkerException>(() => Linker.Link([JumpOperation.Ja.Label("nowhere"), Instruction.Exit()]));
        Assert.Contains("unknown label 'nowhere'", error.Message);
        Assert.Equal(0, error.Index);
    }

    [Fact]
    public void Duplicate_label_is_an_error()
    {
        var error = Assert.Throws<LinkerException>(() => Linker.Link(
        [
            AluOperation.Mov.Imm(R0, 0).WithSymbol("here"),
            Instruction.Exit().WithSymbol("here"),
        ]));
        Assert.Contains("defined twice", error.Message);
        Assert.Equal(1, error.Index);
    }

    [Fact]
    public void Jump_beyond_sixteen_bits_is_out_of_range()
    {
        var program = new List<Instruction> { JumpOperation.Ja.Label("far") };
        program.AddRange(Enumerable.Repeat(AluOperation.Mov.Imm(R0, 0), short.MaxValue + 1));
        program.Add(Instruction.Exit().WithSymbol("far"));
        var error = Assert.Throws<LinkerException>(() => Linker.Link(program));
        Assert.Contains("16 bits", error.Message);
    }

    [Fact]
    public void Raw_jump_outside_the_program_is_out_of_range()
    {
        var error = Assert.Throws<LinkerException>(() => Linker.Link(
        [
            new Instruction { OpCode = 0x05, Offset = 5 },
            Instruction.Exit(),
        ]));
        Assert.Contains("outside the program", error.Message);
    }

    [Fact]
    public void Raw_jump_into_the_middle_of_ld_imm64_is_rejected()
    {
        Assert.Throws<LinkerException>(() => Linker.Link(
        [
            new Instruction { OpCode = 0x05, Offset = 1 },
            Instruction.LoadImm64(R0, 1),
            Instruction.Exit(),
        ]));
    }
}
