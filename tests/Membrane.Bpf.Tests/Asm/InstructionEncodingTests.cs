using Membrane.Bpf.Asm;
using static Membrane.Bpf.Asm.Register;

namespace Membrane.Bpf.Tests.Asm;

/// <summary>
/// Each builder against its raw bytes (struct bpf_insn: opcode, dst | src &lt;&lt; 4, little-endian offset and
/// immediate) and its bpftool-style text, as cilium/ebpf's asm/dsl_test.go does. Jumps go to a label three slots on,
/// so their linked offset is +2.
/// </summary>
public sealed class InstructionEncodingTests
{
    private static readonly Dictionary<string, (Instruction Instruction, string Bytes, string Text)> Table = new()
    {
        ["mov64 imm"] = (AluOperation.Mov.Imm(R0, 0), "b700000000000000", "(b7) r0 = 0"),
        ["mov32 imm"] = (AluOperation.Mov.Imm32(R1, -1), "b4010000ffffffff", "(b4) w1 = -1"),
        ["mov64 reg"] = (AluOperation.Mov.Reg(R6, R1), "bf16000000000000", "(bf) r6 = r1"),
        ["mov32 reg"] = (AluOperation.Mov.Reg32(R0, R1), "bc10000000000000", "(bc) w0 = w1"),
        ["add64 imm"] = (AluOperation.Add.Imm(R1, -4), "07010000fcffffff", "(07) r1 += -4"),
        ["add64 reg"] = (AluOperation.Add.Reg(R1, R2), "0f21000000000000", "(0f) r1 += r2"),
        ["sub32 reg"] = (AluOperation.Sub.Reg32(R3, R4), "1c43000000000000", "(1c) w3 -= w4"),
        ["mul64 imm"] = (AluOperation.Mul.Imm(R0, 3), "2700000003000000", "(27) r0 *= 3"),
        ["div64 reg"] = (AluOperation.Div.Reg(R0, R1), "3f10000000000000", "(3f) r0 /= r1"),
        ["or64 reg"] = (AluOperation.Or.Reg(R1, R2), "4f21000000000000", "(4f) r1 |= r2"),
        ["and64 imm"] = (AluOperation.And.Imm(R1, 1), "5701000001000000", "(57) r1 &= 1"),
        ["lsh64 imm"] = (AluOperation.Lsh.Imm(R2, 8), "6702000008000000", "(67) r2 <<= 8"),
        ["rsh32 imm"] = (AluOperation.Rsh.Imm32(R2, 3), "7402000003000000", "(74) w2 >>= 3"),
        ["neg64"] = (AluOperation.Neg.Imm(R0, 0), "8700000000000000", "(87) r0 = -r0"),
        ["mod32 imm"] = (AluOperation.Mod.Imm32(R0, 7), "9400000007000000", "(94) w0 %= 7"),
        ["xor32 imm"] = (AluOperation.Xor.Imm32(R0, 0), "a400000000000000", "(a4) w0 ^= 0"),
        ["arsh64 imm"] = (AluOperation.Arsh.Imm(R5, 1), "c705000001000000", "(c7) r5 s>>= 1"),
        ["be16"] = (Instruction.ToBigEndian(R0, 16), "dc00000010000000", "(dc) r0 = be16 r0"),
        ["le32"] = (Instruction.ToLittleEndian(R0, 32), "d400000020000000", "(d4) r0 = le32 r0"),
        ["jeq imm"] = (JumpOperation.JEq.Imm(R1, 4, "target"), "1501020004000000", "(15) if r1 == 0x4 goto pc+2 <target>"),
        ["jeq32 imm"] = (JumpOperation.JEq.Imm32(R1, 4, "target"), "1601020004000000", "(16) if w1 == 0x4 goto pc+2 <target>"),
        ["jgt imm"] = (JumpOperation.JGT.Imm(R1, 1, "target"), "2501020001000000", "(25) if r1 > 0x1 goto pc+2 <target>"),
        ["jge32 reg"] = (JumpOperation.JGE.Reg32(R1, R2, "target"), "3e21020000000000", "(3e) if w1 >= w2 goto pc+2 <target>"),
        ["jset imm"] = (JumpOperation.JSet.Imm(R1, 1, "target"), "4501020001000000", "(45) if r1 & 0x1 goto pc+2 <target>"),
        ["jne reg"] = (JumpOperation.JNE.Reg(R1, R2, "target"), "5d21020000000000", "(5d) if r1 != r2 goto pc+2 <target>"),
        ["jsgt imm"] = (JumpOperation.JSGT.Imm(R1, -1, "target"), "65010200ffffffff", "(65) if r1 s> 0xffffffff goto pc+2 <target>"),
        ["jsge imm"] = (JumpOperation.JSGE.Imm(R1, 0, "target"), "7501020000000000", "(75) if r1 s>= 0x0 goto pc+2 <target>"),
        ["jlt imm"] = (JumpOperation.JLT.Imm(R1, 10, "target"), "a50102000a000000", "(a5) if r1 < 0xa goto pc+2 <target>"),
        ["jle32 imm"] = (JumpOperation.JLE.Imm32(R1, 10, "target"), "b60102000a000000", "(b6) if w1 <= 0xa goto pc+2 <target>"),
        ["jslt reg"] = (JumpOperation.JSLT.Reg(R1, R2, "target"), "cd21020000000000", "(cd) if r1 s< r2 goto pc+2 <target>"),
        ["jsle reg"] = (JumpOperation.JSLE.Reg(R1, R2, "target"), "dd21020000000000", "(dd) if r1 s<= r2 goto pc+2 <target>"),
        ["ja"] = (JumpOperation.Ja.Label("target"), "0500020000000000", "(05) goto pc+2 <target>"),
        ["call helper"] = (HelperFunction.MapLookupElem.Call(), "8500000001000000", "(85) call bpf_map_lookup_elem#1"),
        ["call ringbuf_output"] = (HelperFunction.RingbufOutput.Call(), "8500000082000000", "(85) call bpf_ringbuf_output#130"),
        ["exit"] = (Instruction.Exit(), "9500000000000000", "(95) exit"),
        ["ld_imm64"] = (Instruction.LoadImm64(R1, 0x1122334455667788), "18010000887766550000000044332211", "(18) r1 = 0x1122334455667788"),
        ["ld_imm64 negative"] = (Instruction.LoadImm64(R2, -2), "18020000feffffff00000000ffffffff", "(18) r2 = 0xfffffffffffffffe"),
        ["map by fd"] = (Instruction.LoadMapPtr(R1, 5), "18110000050000000000000000000000", "(18) r1 = map[fd:5]"),
        ["ldx u32"] = (Instruction.LoadMem(R0, R1, 4, Size.Word), "6110040000000000", "(61) r0 = *(u32 *)(r1 +4)"),
        ["ldx u16"] = (Instruction.LoadMem(R0, R1, 2, Size.Half), "6910020000000000", "(69) r0 = *(u16 *)(r1 +2)"),
        ["ldx u8"] = (Instruction.LoadMem(R0, R1, 1, Size.Byte), "7110010000000000", "(71) r0 = *(u8 *)(r1 +1)"),
        ["ldx u64"] = (Instruction.LoadMem(R0, R1, -8, Size.DWord), "7910f8ff00000000", "(79) r0 = *(u64 *)(r1 -8)"),
        ["stx u32"] = (Instruction.StoreMem(R10, -4, R1, Size.Word), "631afcff00000000", "(63) *(u32 *)(r10 -4) = r1"),
        ["stx u64"] = (Instruction.StoreMem(R10, -8, R1, Size.DWord), "7b1af8ff00000000", "(7b) *(u64 *)(r10 -8) = r1"),
        ["st u32"] = (Instruction.StoreImm(R10, -4, 7, Size.Word), "620afcff07000000", "(62) *(u32 *)(r10 -4) = 7"),
        ["st u16"] = (Instruction.StoreImm(R10, -2, 1, Size.Half), "6a0afeff01000000", "(6a) *(u16 *)(r10 -2) = 1"),
        ["st u8"] = (Instruction.StoreImm(R10, -1, 1, Size.Byte), "720affff01000000", "(72) *(u8 *)(r10 -1) = 1"),
        ["st u64"] = (Instruction.StoreImm(R10, -8, -1, Size.DWord), "7a0af8ffffffffff", "(7a) *(u64 *)(r10 -8) = -1"),
        ["atomic add u64"] = (Instruction.AtomicAdd(R1, 0, R2, Size.DWord), "db21000000000000", "(db) lock *(u64 *)(r1 +0) += r2"),
        ["atomic add u32"] = (Instruction.AtomicAdd(R1, 8, R2, Size.Word), "c321080000000000", "(c3) lock *(u32 *)(r1 +8) += r2"),
    };

    public static TheoryData<string> Names => new(Table.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void Builder_encodes_to_its_opcode_bytes(string name)
    {
        var (instruction, bytes, _) = Table[name];
        var linked = Link(instruction);
        var encoded = new byte[linked.SlotCount * Instruction.SlotSize];
        linked.WriteTo(encoded);
        Assert.Equal(bytes, Convert.ToHexStringLower(encoded));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Builder_disassembles_as_bpftool_prints_it(string name)
    {
        var (instruction, _, text) = Table[name];
        Assert.Equal(text, Disassembler.Format(Link(instruction)));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void Decoding_the_bytes_gives_back_the_instruction(string name)
    {
        var (instruction, bytes, _) = Table[name];
        var decoded = Assert.Single(Instruction.Decode(Convert.FromHexString(bytes)));
        var expected = Link(instruction) with { Reference = null };
        Assert.Equal(expected, decoded);
    }

    [Fact]
    public void Map_reference_by_name_disassembles_with_the_name()
    {
        Assert.Equal("(18) r1 = map[flows]", Disassembler.Format(Instruction.LoadMapPtr(R1, "flows")));
    }

    [Fact]
    public void Disassembly_numbers_lines_by_slot()
    {
        var text = Disassembler.Disassemble(
        [
            Instruction.LoadImm64(R0, 1),
            Instruction.Exit(),
        ]);
        Assert.Equal("   0: (18) r0 = 0x1\n   2: (95) exit\n", text);
    }

    [Fact]
    public void Conditional_builders_refuse_operations_that_take_no_comparison()
    {
        Assert.Throws<ArgumentException>(() => JumpOperation.Call.Imm(R0, 0, "x"));
        Assert.Throws<ArgumentException>(() => JumpOperation.JEq.Label("x"));
        Assert.Throws<ArgumentException>(() => Instruction.AtomicAdd(R1, 0, R2, Size.Byte));
        Assert.Throws<ArgumentOutOfRangeException>(() => Instruction.ToBigEndian(R0, 8));
    }

    private static Instruction Link(Instruction instruction) =>
        Linker.Link([instruction, Instruction.Exit(), Instruction.Exit(), Instruction.Exit().WithSymbol("target")])[0];
}
