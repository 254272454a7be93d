using Membrane.Bpf.Asm;

namespace Membrane.Bpf.Programs;

/// <summary>
/// What a program is, as plain data: <see cref="BpfProgram.Load"/> links, encodes and loads it. The name must fit the
/// kernel's 15 characters of letters, digits, '_' and '.'. The license decides which helpers are allowed: GPL-only
/// helpers need a GPL-compatible license (include/linux/license.h).
/// </summary>
public sealed record ProgramSpec(string Name, ProgramType Type, IReadOnlyList<Instruction> Instructions, string License = "Dual MIT/GPL");
