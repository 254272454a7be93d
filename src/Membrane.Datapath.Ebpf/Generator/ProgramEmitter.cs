using Membrane.Bpf.Asm;
using static Membrane.Bpf.Asm.Register;

namespace Membrane.Datapath.Ebpf.Generator;

/// <summary>
/// The program being emitted for one direction, with the few idioms every stage uses: stack loads and stores,
/// copies between stack fields, map lookups, and the verdict labels. A verdict reached before the LaterFragment
/// stage goes straight to Account (<see cref="Early"/>); one reached from it on goes through Record first
/// (<see cref="Late"/>), because only those leave a first fragment's entry (docs/datapath.md §2 step 8).
/// </summary>
internal sealed class ProgramEmitter(byte direction)
{
    public const string RecordLabel = "record";
    public const string AccountLabel = "account";

    private readonly SortedSet<VerdictReason> _early = [];
    private readonly SortedSet<VerdictReason> _late = [];

    public InstructionCollection Code { get; } = new();

    /// <summary>The direction the program enforces, as keys hold it.</summary>
    public byte Direction { get; } = direction;

    public bool IsEgress => Direction == DatapathConstants.DirectionEgress;

    /// <summary>The other direction: a reply's, and the direction of a flow an ICMP error is about.</summary>
    public byte OtherDirection => (byte)(Direction ^ 1);

    public IReadOnlySet<VerdictReason> EarlyVerdicts => _early;

    public IReadOnlySet<VerdictReason> LateVerdicts => _late;

    /// <summary>The label that sets <paramref name="reason"/> and goes to Account.</summary>
    public string Early(VerdictReason reason)
    {
        _early.Add(reason);
        return $"early_{reason}";
    }

    /// <summary>The label that sets <paramref name="reason"/> and goes to Record.</summary>
    public string Late(VerdictReason reason)
    {
        _late.Add(reason);
        return $"late_{reason}";
    }

    public ProgramEmitter Add(Instruction instruction)
    {
        Code.Add(instruction);
        return this;
    }

    public ProgramEmitter Label(string name)
    {
        Code.Label(name);
        return this;
    }

    public ProgramEmitter Comment(string text)
    {
        Code.Comment(text);
        return this;
    }

    public ProgramEmitter Mov(Register destination, int value) => Add(AluOperation.Mov.Imm(destination, value));

    public ProgramEmitter Mov(Register destination, Register source) => Add(AluOperation.Mov.Reg(destination, source));

    public ProgramEmitter Alu(AluOperation operation, Register destination, int value) => Add(operation.Imm(destination, value));

    public ProgramEmitter Alu(AluOperation operation, Register destination, Register source) => Add(operation.Reg(destination, source));

    public ProgramEmitter Goto(string label) => Add(JumpOperation.Ja.Label(label));

    public ProgramEmitter If(JumpOperation operation, Register register, int value, string label) =>
        Add(operation.Imm(register, value, label));

    public ProgramEmitter IfReg(JumpOperation operation, Register register, Register other, string label) =>
        Add(operation.Reg(register, other, label));

    /// <summary><c>destination = *(size *)(r10 + offset)</c>.</summary>
    public ProgramEmitter Load(Register destination, short offset, Size size) => Add(Instruction.LoadMem(destination, R10, offset, size));

    /// <summary><c>*(size *)(r10 + offset) = source</c>.</summary>
    public ProgramEmitter Store(short offset, Register source, Size size) => Add(Instruction.StoreMem(R10, offset, source, size));

    /// <summary><c>*(size *)(r10 + offset) = value</c>.</summary>
    public ProgramEmitter Store(short offset, int value, Size size) => Add(Instruction.StoreImm(R10, offset, value, size));

    /// <summary>A big-endian 16-bit field of the packet into host order: <c>be16 *(u16 *)(pointer + offset)</c>.</summary>
    public ProgramEmitter LoadBigEndian16(Register destination, Register pointer, short offset) =>
        Add(Instruction.LoadMem(destination, pointer, offset, Size.Half)).Add(Instruction.ToBigEndian(destination, 16));

    /// <summary>Copies <paramref name="length"/> bytes (1, 2, 4, 8 or 16) between stack fields through R1.</summary>
    public ProgramEmitter CopyStack(short destination, short source, int length) => Copy(destination, R10, source, length);

    /// <summary>Copies <paramref name="length"/> bytes (1, 2, 4, 8 or 16) from <paramref name="pointer"/> + offset
    /// (a packet, map value or the stack) to the stack field at <paramref name="destination"/>, through R1.</summary>
    public ProgramEmitter Copy(short destination, Register pointer, short offset, int length)
    {
        if (length == 16)
        {
            return Copy(destination, pointer, offset, 8).Copy((short)(destination + 8), pointer, (short)(offset + 8), 8);
        }

        var size = length switch
        {
            1 => Size.Byte,
            2 => Size.Half,
            4 => Size.Word,
            8 => Size.DWord,
            _ => throw new ArgumentOutOfRangeException(nameof(length), length, "copies are 1, 2, 4, 8 or 16 bytes"),
        };
        return Add(Instruction.LoadMem(R1, pointer, offset, size)).Store(destination, R1, size);
    }

    /// <summary><c>r0 = bpf_map_lookup_elem(&amp;map, r10 + key)</c>; clobbers R1 to R5.</summary>
    public ProgramEmitter Lookup(string map, short key) =>
        Add(Instruction.LoadMapPtr(R1, map))
            .Mov(R2, R10).Alu(AluOperation.Add, R2, key)
            .Add(Instruction.Call(HelperFunction.MapLookupElem));

    /// <summary><c>bpf_map_update_elem(&amp;map, r10 + key, r10 + value, BPF_ANY)</c>; clobbers R0 to R5.</summary>
    public ProgramEmitter Update(string map, short key, short value) =>
        Add(Instruction.LoadMapPtr(R1, map))
            .Mov(R2, R10).Alu(AluOperation.Add, R2, key)
            .Mov(R3, R10).Alu(AluOperation.Add, R3, value)
            .Mov(R4, 0)
            .Add(Instruction.Call(HelperFunction.MapUpdateElem));
}
