using Membrane.Bpf.Asm;
using Membrane.Bpf.Maps;
using Membrane.Bpf.Programs;
using static Membrane.Bpf.Asm.Register;

namespace Membrane.Bpf.Benchmarks;

/// <summary>
/// `helper-ns`: what the building blocks of a tc program cost in the kernel, each measured as a program that does only
/// that and returns, under PROG_TEST_RUN with a large repeat (the kernel's own ns per run): returning, reading the
/// clock three ways, a hash lookup with a 4-byte key, an LRU hash lookup with a 44-byte key (the datapath's conntrack
/// key), and the three a packet of an established flow needs together. It tells how far the datapath's established
/// path is from its floor.
/// </summary>
public static class HelperCosts
{
    public static void Run()
    {
        var frame = new byte[64];
        frame[12] = 0x08; // IPv4, so the kernel's test run builds an IP skb
        using var hash = BpfMap.Create(new MapSpec("mbr_bench_hash", MapType.Hash, 4, 16, 1024));
        using var lru = BpfMap.Create(new MapSpec("mbr_bench_lru", MapType.LruHash, 44, 16, 65536));
        hash.Update(new byte[4], new byte[16]);
        lru.Update(new byte[44], new byte[16]);
        var maps = new Dictionary<string, BpfMap> { ["h"] = hash, ["l"] = lru };
        var variants = new (string Name, Instruction[] Code)[]
        {
            ("return", Return()),
            ("bpf_ktime_get_ns", [HelperFunction.KtimeGetNs.Call(), .. Return()]),
            ("bpf_ktime_get_coarse_ns", [HelperFunction.KtimeGetCoarseNs.Call(), .. Return()]),
            ("bpf_jiffies64", [HelperFunction.Jiffies64.Call(), .. Return()]),
            ("hash lookup, 4-byte key", [.. Lookup("h", 4), .. Return()]),
            ("LRU hash lookup, 44-byte key", [.. Lookup("l", 44), .. Return()]),
            ("clock + both lookups", [HelperFunction.KtimeGetNs.Call(), .. Lookup("h", 4), .. Lookup("l", 44), .. Return()]),
        };
        foreach (var (name, code) in variants)
        {
            using var program = BpfProgram.Load(new ProgramSpec("mbr_bench_cost", ProgramType.SchedCls, code), maps);
            program.TestRun(frame, repeat: 10_000);
            var runs = Enumerable.Range(0, 5).Select(_ => program.TestRun(frame, repeat: 200_000).MeanDurationNanoseconds).Order().ToList();
            Console.WriteLine($"{name,-30} {runs[2],5} ns/run (median of 5; {string.Join(", ", runs)})");
        }
    }

    private static Instruction[] Return() => [AluOperation.Mov.Imm(R0, 0), Instruction.Exit()];

    private static Instruction[] Lookup(string map, int keySize)
    {
        var code = new List<Instruction>();
        for (var offset = -keySize; offset < 0; offset += 4)
        {
            code.Add(Instruction.StoreImm(R10, (short)offset, 0, Size.Word));
        }

        code.Add(Instruction.LoadMapPtr(R1, map));
        code.Add(AluOperation.Mov.Reg(R2, R10));
        code.Add(AluOperation.Add.Imm(R2, -keySize));
        code.Add(HelperFunction.MapLookupElem.Call());
        return [.. code];
    }
}
