using BenchmarkDotNet.Attributes;
using Membrane.Bpf.Asm;
using Membrane.Bpf.Programs;

namespace Membrane.Bpf.Benchmarks;

/// <summary>An empty SCHED_CLS program (<c>r0 = 0; exit</c>) under BPF_PROG_TEST_RUN, one run per syscall: the
/// user-space round trip including the kernel's sk_buff setup.</summary>
[MemoryDiagnoser]
public class TestRunBenchmarks
{
    private readonly byte[] packet = new byte[64];
    private BpfProgram program = null!;

    [GlobalSetup]
    public void Setup() => program = BpfProgram.Load(EmptyProgram.Spec);

    [GlobalCleanup]
    public void Cleanup() => program.Dispose();

    [Benchmark]
    public uint EmptyProgramTestRun() => program.TestRun(packet).ReturnValue;
}
