using Membrane.Bpf.Asm;
using static Membrane.Bpf.Asm.Register;

namespace Membrane.Bpf.Tests.Asm;

public sealed class InstructionCollectionTests
{
    [Fact]
    public void Labels_mark_the_next_instruction_and_link_to_slot_offsets()
    {
        var code = new InstructionCollection()
            .Add(JumpOperation.JEq.Imm(R1, 0, "out"))
            .Add(Instruction.LoadImm64(R0, 7))
            .Label("out")
            .Add(Instruction.Exit());
        var linked = code.Link();
        Assert.Equal(2, linked[0].Offset); // skips the two slots of ld_imm64
        Assert.Equal("out", linked[2].Symbol);
        Assert.Equal(3, code.Count);
        Assert.Equal(4, code.SlotCount);
    }

    [Fact]
    public void Two_labels_on_one_instruction_both_resolve()
    {
        var code = new InstructionCollection()
            .Add(JumpOperation.JEq.Imm(R1, 0, "first"))
            .Add(JumpOperation.JEq.Imm(R1, 1, "second"))
            .Add(AluOperation.Mov.Imm(R0, 1))
            .Label("first")
            .Label("second")
            .Add(Instruction.Exit());
        var linked = code.Link();
        Assert.Equal(2, linked[0].Offset);
        Assert.Equal(1, linked[1].Offset);
    }

    [Fact]
    public void A_label_defined_twice_or_marking_nothing_is_an_error()
    {
        var code = new InstructionCollection().Label("x").Add(Instruction.Exit());
        Assert.Contains("defined twice", Assert.Throws<LinkerException>(() => code.Label("x")).Message);
        code.Label("dangling");
        Assert.Contains("marks no instruction", Assert.Throws<LinkerException>(() => code.Link()).Message);
    }

    [Fact]
    public void Map_names_are_collected_from_map_loads()
    {
        var code = new InstructionCollection()
            .Add(Instruction.LoadMapPtr(R1, "zeta"))
            .Add(Instruction.LoadMapPtr(R1, "alpha"))
            .Add(Instruction.LoadMapPtr(R2, "zeta"))
            .Add(AluOperation.Mov.Imm(R0, 0))
            .Add(Instruction.Exit());
        Assert.Equal(["alpha", "zeta"], code.MapNames);
    }

    [Fact]
    public void Comments_are_kept_but_not_encoded_and_the_listing_shows_labels_and_comments()
    {
        var code = new InstructionCollection()
            .Comment("start at zero")
            .Add(AluOperation.Mov.Imm(R0, 0))
            .Label("done")
            .Add(Instruction.Exit().WithComment("return r0"));
        var plain = new InstructionCollection().Add(AluOperation.Mov.Imm(R0, 0)).Add(Instruction.Exit());
        Assert.Equal(plain.Encode(), code.Encode());
        Assert.Equal("start at zero", code[0].Comment);
        Assert.Equal(
            "   0: (b7) r0 = 0 ; start at zero\ndone:\n   1: (95) exit ; return r0\n",
            code.Disassemble());
        Assert.Equal("   0: (b7) r0 = 0 ; start at zero\n   1: (95) exit ; return r0\n", Disassembler.Disassemble(code));
    }

    [Fact]
    public void Encoding_is_the_slots_of_the_linked_program()
    {
        var code = new InstructionCollection().Add(Instruction.LoadImm64(R0, 0x1_0000_0002)).Add(Instruction.Exit());
        var bytes = code.Encode();
        Assert.Equal(24, bytes.Length);
        Assert.Equal(Instruction.Decode(bytes), code.Link().Select(instruction => instruction with { Symbol = null, Comment = null }));
    }
}
