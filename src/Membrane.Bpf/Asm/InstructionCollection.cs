using System.Collections;

namespace Membrane.Bpf.Asm;

/// <summary>
/// A program being written: an ordered, appendable list of instructions with labels and comments. <see cref="Label"/>
/// marks the next instruction added as a jump target and <see cref="Comment"/> attaches a note to it, so code can be
/// emitted in the order it is read, as in an assembler. Several labels may mark one instruction (an instruction holds
/// one <see cref="Instruction.Symbol"/>, so the others become aliases that the collection resolves when it is read).
/// It reads as the finished instructions (<see cref="IReadOnlyList{T}"/>), so it can be a
/// <see cref="Programs.ProgramSpec"/>'s instructions directly.
/// </summary>
public sealed class InstructionCollection : IReadOnlyList<Instruction>
{
    private readonly List<Instruction> _instructions = [];
    private readonly Dictionary<string, string> _aliases = new(StringComparer.Ordinal);
    private readonly HashSet<string> _labels = new(StringComparer.Ordinal);
    private readonly SortedSet<string> _mapNames = new(StringComparer.Ordinal);
    private string? _pendingLabel;
    private string? _pendingComment;
    private int _slotCount;

    /// <summary>The number of instructions (a <c>ld_imm64</c> counts once).</summary>
    public int Count => _instructions.Count;

    /// <summary>The number of 8-byte slots, which is what the kernel counts against its instruction limit.</summary>
    public int SlotCount => _slotCount;

    /// <summary>The names of the maps the instructions load (<see cref="Instruction.LoadMapPtr(Register, string)"/>),
    /// in ordinal order: the maps a loader must supply.</summary>
    public IReadOnlySet<string> MapNames => _mapNames;

    /// <summary>Whether <paramref name="label"/> has been defined (it may still be waiting for its instruction).</summary>
    public bool HasLabel(string label) => _labels.Contains(label);

    public Instruction this[int index] => Resolve(_instructions[index]);

    /// <summary>Marks the next instruction added as the target of jumps to <paramref name="name"/>.</summary>
    public InstructionCollection Label(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (!_labels.Add(name))
        {
            throw new LinkerException($"label '{name}' is defined twice", _instructions.Count);
        }

        if (_pendingLabel is null)
        {
            _pendingLabel = name;
        }
        else
        {
            _aliases[name] = _pendingLabel;
        }

        return this;
    }

    /// <summary>Attaches <paramref name="text"/> to the next instruction added; two comments before one instruction
    /// are joined with "; ".</summary>
    public InstructionCollection Comment(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        _pendingComment = _pendingComment is null ? text : $"{_pendingComment}; {text}";
        return this;
    }

    /// <summary>Appends <paramref name="instruction"/>, giving it the pending label and comment.</summary>
    public InstructionCollection Add(Instruction instruction)
    {
        if (_pendingLabel is { } label)
        {
            if (instruction.Symbol is { } own)
            {
                // The instruction brings its own label: the pending one becomes an alias of it.
                if (!_labels.Add(own))
                {
                    throw new LinkerException($"label '{own}' is defined twice", _instructions.Count);
                }

                _aliases[label] = own;
                foreach (var (alias, target) in _aliases.ToArray())
                {
                    if (target == label)
                    {
                        _aliases[alias] = own;
                    }
                }
            }
            else
            {
                instruction = instruction with { Symbol = label };
            }

            _pendingLabel = null;
        }
        else if (instruction.Symbol is { } own && !_labels.Add(own))
        {
            throw new LinkerException($"label '{own}' is defined twice", _instructions.Count);
        }

        if (_pendingComment is { } comment)
        {
            instruction = instruction with { Comment = instruction.Comment is null ? comment : $"{comment}; {instruction.Comment}" };
            _pendingComment = null;
        }

        if (instruction.IsMapLoad && instruction.Reference is { } mapName)
        {
            _mapNames.Add(mapName);
        }

        _instructions.Add(instruction);
        _slotCount += instruction.SlotCount;
        return this;
    }

    /// <summary>Appends each of <paramref name="instructions"/> in order; the pending label and comment go to the first.</summary>
    public InstructionCollection Add(params IEnumerable<Instruction> instructions)
    {
        ArgumentNullException.ThrowIfNull(instructions);
        foreach (var instruction in instructions)
        {
            Add(instruction);
        }

        return this;
    }

    /// <summary>The instructions with every jump's offset resolved (<see cref="Linker.Link"/>). Throws a
    /// <see cref="LinkerException"/> for a label that marks no instruction, an unknown label or a jump out of range.</summary>
    public Instruction[] Link()
    {
        if (_pendingLabel is { } label)
        {
            throw new LinkerException($"label '{label}' marks no instruction: nothing was added after it", _instructions.Count);
        }

        return Linker.Link(this);
    }

    /// <summary>
    /// The linked program as the kernel reads it (<c>struct bpf_insn</c> slots). Map loads by name are encoded with
    /// descriptor 0: <see cref="Programs.BpfProgram.Load"/> fills in the real descriptors, so these bytes are for
    /// inspection and comparison, not for loading.
    /// </summary>
    public byte[] Encode()
    {
        var linked = Link();
        var bytes = new byte[_slotCount * Instruction.SlotSize];
        var position = 0;
        foreach (var instruction in linked)
        {
            instruction.WriteTo(bytes.AsSpan(position));
            position += instruction.SlotCount * Instruction.SlotSize;
        }

        return bytes;
    }

    /// <summary>The listing: a <c>label:</c> line before each labelled instruction, slot numbers, comments after
    /// <c>;</c>. Jumps show their labels; offsets are resolved when the program links.</summary>
    public string Disassemble()
    {
        var instructions = _instructions.Select(Resolve).ToArray();
        try
        {
            instructions = Linker.Link(instructions);
        }
        catch (LinkerException)
        {
            // An unfinished program still prints, with its jumps unresolved.
        }

        return Disassembler.Disassemble(instructions, labels: true);
    }

    public IEnumerator<Instruction> GetEnumerator()
    {
        foreach (var instruction in _instructions)
        {
            yield return Resolve(instruction);
        }
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private Instruction Resolve(Instruction instruction) =>
        instruction.IsJump && instruction.Reference is { } target && _aliases.TryGetValue(target, out var canonical)
            ? instruction with { Reference = canonical }
            : instruction;
}
