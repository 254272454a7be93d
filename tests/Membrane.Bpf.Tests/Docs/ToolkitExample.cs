// The complete example of docs/bpf-toolkit.md, verbatim between the markers, so the documentation is compiled and run.
// begin example
using Membrane.Bpf.Asm;
using Membrane.Bpf.Links;
using Membrane.Bpf.Maps;
using Membrane.Bpf.Programs;
using static Membrane.Bpf.Asm.Register;

namespace Membrane.Bpf.Tests.Docs;

public static class ToolkitExample
{
    /// <summary>Counts every packet in an array map and lets it pass; attaches to <paramref name="ifindex"/> with tcx,
    /// then test-runs the program once on a made-up frame. Returns the verdict and the count.</summary>
    public static (uint Verdict, ulong Packets, string Disassembly) Run(int ifindex)
    {
        // 1. Build: a one-slot array map and a program that adds 1 to slot 0 and returns TC_ACT_OK (0).
        using var counters = BpfMap.Create(MapSpec.For<uint, ulong>("mbr_counters", MapType.Array, maxEntries: 1));
        var spec = new ProgramSpec("mbr_count_all", ProgramType.SchedCls,
        [
            Instruction.StoreImm(R10, -4, 0, Size.Word),        // key = 0, on the stack
            Instruction.LoadMapPtr(R1, "counters"),             // r1 = &counters
            AluOperation.Mov.Reg(R2, R10),
            AluOperation.Add.Imm(R2, -4),                       // r2 = &key
            HelperFunction.MapLookupElem.Call(),                // r0 = &counters[0] or null
            JumpOperation.JEq.Imm(R0, 0, "out"),
            AluOperation.Mov.Imm(R1, 1),
            Instruction.AtomicAdd(R0, 0, R1, Size.DWord),       // lock *(u64 *)r0 += 1
            AluOperation.Mov.Imm(R0, 0).WithSymbol("out"),      // TC_ACT_OK
            Instruction.Exit(),
        ]);

        // 2. Load: the verifier checks it; a rejection throws VerifierException with the whole log.
        using var program = BpfProgram.Load(spec, new Dictionary<string, BpfMap> { ["counters"] = counters });
        Console.WriteLine($"verifier processed {program.Statistics?.ProcessedInstructions} instructions");

        // 3. Attach: tcx ingress on the interface; closing the link (or Detach) removes it.
        using var link = Tcx.Attach(program, ifindex, TcxDirection.Ingress);

        // 4. Test-run: the kernel runs the program on a 64-byte Ethernet frame without any traffic.
        var frame = new byte[64];
        frame[12] = 0x08; // EtherType IPv4
        var result = program.TestRun(frame);
        counters.TryLookup(0u, out ulong packets);
        return (result.ReturnValue, packets, Disassembler.Disassemble(spec.Instructions));
    }
}
// end example
