using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using Membrane.Bpf.Benchmarks;
using Membrane.Bpf.Programs;

// `kernel-ns` asks the kernel itself: PROG_TEST_RUN with a large repeat count reports the mean nanoseconds per run
// of the program, without the syscall round trip. Anything else goes to BenchmarkDotNet (needs root: it loads BPF).
if (args is ["kernel-ns", ..])
{
    using var program = BpfProgram.Load(EmptyProgram.Spec);
    var packet = new byte[64];
    program.TestRun(packet, repeat: 100_000); // warm up
    foreach (var repeat in new[] { 1_000_000, 1_000_000, 1_000_000 })
    {
        var result = program.TestRun(packet, repeat: repeat);
        Console.WriteLine($"empty SCHED_CLS program, PROG_TEST_RUN repeat={repeat}: {result.MeanDurationNanoseconds} ns/run (kernel)");
    }

    return 0;
}

if (args is ["helper-ns", ..])
{
    HelperCosts.Run();
    return 0;
}

// In-process: the toolkit needs no separate build, and the short job keeps a full run to a few minutes.
var config = DefaultConfig.Instance.AddJob(
    Job.Default.WithWarmupCount(3).WithIterationCount(10).WithToolchain(InProcessEmitToolchain.Instance));
BenchmarkSwitcher.FromAssembly(typeof(MapBenchmarks).Assembly).Run(args, config);
return 0;
