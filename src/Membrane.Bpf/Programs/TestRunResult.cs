namespace Membrane.Bpf.Programs;

/// <summary>
/// The outcome of BPF_PROG_TEST_RUN: the program's return value from the last run, how many bytes of packet it left
/// (copied to the caller's output buffer), and the mean time per run as the kernel measured it
/// (net/bpf/test_run.c: total nanoseconds divided by the repeat count).
/// </summary>
public readonly record struct TestRunResult(uint ReturnValue, int DataOutLength, uint MeanDurationNanoseconds)
{
    public TimeSpan MeanDuration => TimeSpan.FromTicks(MeanDurationNanoseconds / 100);
}
