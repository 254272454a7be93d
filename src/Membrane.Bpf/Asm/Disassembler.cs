using System.Globalization;
using System.Text;

namespace Membrane.Bpf.Asm;

/// <summary>
/// Prints instructions as <c>bpftool prog dump xlated</c> does, using the kernel's formats (kernel/bpf/disasm.c
/// <c>print_bpf_insn</c>): <c>   0: (b7) r0 = 0</c>. Map loads print as <c>map[name]</c> or <c>map[fd:N]</c> where
/// bpftool prints <c>map[id:N]</c>, and a jump still carrying a label names it after the offset. An instruction's
/// <see cref="Instruction.Comment"/> follows it as <c>; comment</c>.
/// </summary>
public static class Disassembler
{
    private static readonly string[] AluSymbols =
        ["+=", "-=", "*=", "/=", "|=", "&=", "<<=", ">>=", "neg", "%=", "^=", "=", "s>>=", "endian", "?", "?"];

    private static readonly string[] JumpSymbols =
        ["jmp", "==", ">", ">=", "&", "!=", "s>", "s>=", "call", "exit", "<", "<=", "s<", "s<=", "?", "?"];

    private static readonly string[] ClassNames = ["ld", "ldx", "st", "stx", "alu", "jmp", "jmp32", "alu64"];

    /// <summary>One line per instruction, numbered by slot as bpftool numbers them, with its comment after it.</summary>
    public static string Disassemble(IEnumerable<Instruction> instructions) => Disassemble(instructions, labels: false);

    /// <summary>
    /// Like <see cref="Disassemble(IEnumerable{Instruction})"/>; with <paramref name="labels"/>, an instruction that
    /// defines a label is preceded by a <c>label:</c> line, as an assembler listing shows it.
    /// </summary>
    public static string Disassemble(IEnumerable<Instruction> instructions, bool labels)
    {
        ArgumentNullException.ThrowIfNull(instructions);
        var text = new StringBuilder();
        var slot = 0;
        foreach (var instruction in instructions)
        {
            if (labels && instruction.Symbol is { } symbol)
            {
                text.Append(CultureInfo.InvariantCulture, $"{symbol}:\n");
            }

            text.Append(CultureInfo.InvariantCulture, $"{slot,4}: {Format(instruction)}");
            if (instruction.Comment is { } comment)
            {
                text.Append(CultureInfo.InvariantCulture, $" ; {comment}");
            }

            text.Append('\n');
            slot += instruction.SlotCount;
        }

        return text.ToString();
    }

    /// <summary>One instruction, without its number: <c>(07) r1 += -4</c>.</summary>
    public static string Format(Instruction instruction)
    {
        var code = instruction.OpCode;
        var body = instruction.Class switch
        {
            InstructionClass.Alu or InstructionClass.Alu64 => FormatAlu(instruction),
            InstructionClass.Stx => FormatStoreRegister(instruction),
            InstructionClass.St => (code & 0xe0) == 0x60
                ? $"*({SizeName(code)} *)(r{(int)instruction.Destination} {Signed(instruction.Offset)}) = {(int)instruction.Constant}"
                : $"BUG_st_{code:x2}",
            InstructionClass.Ldx => (code & 0xe0) is 0x60 or 0x80
                ? $"r{(int)instruction.Destination} = *({((code & 0xe0) == 0x80 ? SignedSizeName(code) : SizeName(code))} *)(r{(int)instruction.Source} {Signed(instruction.Offset)})"
                : $"BUG_ldx_{code:x2}",
            InstructionClass.Ld => FormatLoad(instruction),
            _ => FormatJump(instruction),
        };
        return string.Create(CultureInfo.InvariantCulture, $"({code:x2}) {body}");
    }

    private static string FormatAlu(Instruction instruction)
    {
        var code = instruction.OpCode;
        var prefix = instruction.Class == InstructionClass.Alu ? 'w' : 'r';
        var operation = (code & 0xf0) >> 4;
        var dst = (int)instruction.Destination;
        var sourceIsRegister = (code & 0x08) != 0;
        if (code >> 4 == 0xd)
        {
            return instruction.Class == InstructionClass.Alu64
                ? $"r{dst} = bswap{instruction.Constant} r{dst}"
                : $"r{dst} = {(sourceIsRegister ? "be" : "le")}{instruction.Constant} r{dst}";
        }

        if (code >> 4 == 0x8)
        {
            return $"{prefix}{dst} = -{prefix}{dst}";
        }

        var symbol = AluSymbols[operation];
        if (operation is 0x3 or 0x9 && instruction.Offset == 1)
        {
            symbol = operation == 0x3 ? "s/=" : "s%=";
        }

        return sourceIsRegister
            ? $"{prefix}{dst} {symbol} {prefix}{(int)instruction.Source}"
            : $"{prefix}{dst} {symbol} {(int)instruction.Constant}";
    }

    private static string FormatStoreRegister(Instruction instruction)
    {
        var code = instruction.OpCode;
        var target = $"({SizeName(code)} *)(r{(int)instruction.Destination} {Signed(instruction.Offset)})";
        if ((code & 0xe0) == 0x60)
        {
            return $"*{target} = r{(int)instruction.Source}";
        }

        if ((code & 0xe0) == 0xc0 && instruction.Constant is 0x00 or 0x40 or 0x50 or 0xa0)
        {
            return $"lock *{target} {AluSymbols[(int)instruction.Constant >> 4]} r{(int)instruction.Source}";
        }

        return $"BUG_{code:x2}";
    }

    private static string FormatLoad(Instruction instruction)
    {
        var code = instruction.OpCode;
        switch (code & 0xe0)
        {
            case 0x20:
                return $"r0 = *({SizeName(code)} *)skb[{(int)instruction.Constant}]";
            case 0x40:
                return $"r0 = *({SizeName(code)} *)skb[r{(int)instruction.Source} + {(int)instruction.Constant}]";
        }

        if (!instruction.IsLoadImm64)
        {
            return $"BUG_ld_{code:x2}";
        }

        var value = instruction.IsMapLoad
            ? instruction.Reference is { } name ? $"map[{name}]" : $"map[fd:{instruction.Constant}]"
            : $"0x{instruction.Constant:x}";
        return $"r{(int)instruction.Destination} = {value}";
    }

    private static string FormatJump(Instruction instruction)
    {
        var code = instruction.OpCode;
        var operation = (code & 0xf0) >> 4;
        var prefix = instruction.Class == InstructionClass.Jmp32 ? 'w' : 'r';
        var label = instruction.Reference is { } reference ? $" <{reference}>" : string.Empty;
        if (operation == 0x8)
        {
            var id = (int)instruction.Constant;
            return $"call {HelperFunctionNames.Find(id) ?? "unknown"}#{id}";
        }

        if (code == ((byte)InstructionClass.Jmp | 0x00))
        {
            return $"goto pc{Signed(instruction.Offset)}{label}";
        }

        if (code == ((byte)InstructionClass.Jmp32 | 0x00))
        {
            return $"gotol pc{Signed((int)instruction.Constant)}";
        }

        if (code == ((byte)InstructionClass.Jmp | 0x90))
        {
            return "exit";
        }

        if (instruction.Class == InstructionClass.Jmp32 && operation == 0x9)
        {
            return ClassNames[(int)instruction.Class];
        }

        var comparison = (code & 0x08) != 0
            ? $"{prefix}{(int)instruction.Source}"
            : $"0x{unchecked((uint)(int)instruction.Constant):x}";
        return $"if {prefix}{(int)instruction.Destination} {JumpSymbols[operation]} {comparison} goto pc{Signed(instruction.Offset)}{label}";
    }

    private static string Signed(int value) => value.ToString("+0;-0;+0", CultureInfo.InvariantCulture);

    private static string SizeName(byte code) => (code & 0x18) switch
    {
        0x00 => "u32",
        0x08 => "u16",
        0x10 => "u8",
        _ => "u64",
    };

    private static string SignedSizeName(byte code) => (code & 0x18) switch
    {
        0x00 => "s32",
        0x08 => "s16",
        0x10 => "s8",
        _ => "s64",
    };
}
