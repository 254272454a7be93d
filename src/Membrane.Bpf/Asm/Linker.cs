namespace Membrane.Bpf.Asm;

/// <summary>
/// Resolves symbolic jump targets into slot offsets. A jump's offset counts 8-byte slots from the instruction after
/// it, so a <c>ld_imm64</c> in between counts twice (Documentation/bpf/standardization/instruction-set.rst).
/// </summary>
public static class Linker
{
    /// <summary>
    /// Returns the instructions with every jump's <see cref="Instruction.Offset"/> set from its label. Throws a
    /// <see cref="LinkerException"/> for an unknown or duplicate label, an offset beyond 16 bits, or a jump (labelled
    /// or raw) that lands outside the program or inside a <c>ld_imm64</c>. Map references are left for the loader.
    /// </summary>
    public static Instruction[] Link(IEnumerable<Instruction> instructions)
    {
        var program = instructions.ToArray();
        var slotOf = new int[program.Length + 1];
        var symbols = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < program.Length; i++)
        {
            slotOf[i + 1] = slotOf[i] + program[i].SlotCount;
            if (program[i].Symbol is { } symbol && !symbols.TryAdd(symbol, i))
            {
                throw new LinkerException($"label '{symbol}' is defined twice (first at instruction {symbols[symbol]})", i);
            }
        }

        var totalSlots = slotOf[program.Length];
        var instructionAtSlot = new HashSet<int>(slotOf.Take(program.Length));
        for (var i = 0; i < program.Length; i++)
        {
            var instruction = program[i];
            if (!instruction.IsJump)
            {
                continue;
            }

            int targetSlot;
            if (instruction.Reference is { } label)
            {
                if (!symbols.TryGetValue(label, out var target))
                {
                    throw new LinkerException($"jump to unknown label '{label}'", i);
                }

                targetSlot = slotOf[target];
                var offset = targetSlot - (slotOf[i] + 1);
                if (offset is < short.MinValue or > short.MaxValue)
                {
                    throw new LinkerException(
                        $"jump to '{label}' spans {offset} slots; a jump offset is 16 bits ({short.MinValue}..{short.MaxValue})", i);
                }

                program[i] = instruction with { Offset = (short)offset };
            }
            else
            {
                targetSlot = slotOf[i] + 1 + instruction.Offset;
            }

            if (targetSlot < 0 || targetSlot >= totalSlots || !instructionAtSlot.Contains(targetSlot))
            {
                throw new LinkerException(
                    $"jump offset {program[i].Offset} lands at slot {targetSlot}, outside the program's {totalSlots} slots or inside a ld_imm64", i);
            }
        }

        return program;
    }
}
