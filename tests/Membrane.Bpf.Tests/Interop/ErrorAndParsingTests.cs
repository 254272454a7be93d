using Membrane.Bpf.Interop;
using Membrane.Bpf.Links;
using Membrane.Bpf.Maps;
using Membrane.Bpf.Programs;

namespace Membrane.Bpf.Tests.Interop;

public sealed class ErrorAndParsingTests
{
    [Fact]
    public void Exception_names_the_command_and_errno_and_gives_the_hint()
    {
        var error = new BpfException(BpfCommand.MapCreate, Errno.EPERM);
        Assert.Contains("BPF_MAP_CREATE: EPERM", error.Message);
        Assert.Contains("root or CAP_BPF", error.Message);
        Assert.Equal(Errno.EPERM, error.Errno);
        Assert.Equal(BpfCommand.MapCreate, error.Command);
    }

    [Fact]
    public void Verifier_log_overflow_hint_says_to_retry_with_a_larger_log()
    {
        Assert.Contains("larger log", BpfException.HintFor(BpfCommand.ProgLoad, Errno.ENOSPC));
        Assert.Contains("max_entries", BpfException.HintFor(BpfCommand.MapCreate, Errno.E2BIG));
    }

    [Fact]
    public void Map_exception_names_the_map_and_the_operation()
    {
        var error = new MapException("flows", "update", BpfCommand.MapUpdateElem, Errno.E2BIG);
        Assert.StartsWith("map 'flows': update: BPF_MAP_UPDATE_ELEM: E2BIG", error.Message);
        Assert.Contains("map is full", error.Message);
    }

    [Fact]
    public void Verifier_exception_shows_the_tail_and_keeps_the_whole_log()
    {
        var log = string.Join('\n', Enumerable.Range(1, 40).Select(i => $"line {i}"));
        var error = new VerifierException("prog", Errno.EACCES, log, logTruncated: false);
        Assert.Equal(log, error.Log);
        Assert.Contains("line 40", error.Message);
        Assert.Contains("line 29", error.Message);
        Assert.DoesNotContain("line 28\n", error.Message);
        Assert.Contains("last 12 of 40 lines", error.Message);
    }

    [Theory]
    [InlineData("6.18.44-fc-v669", 6, 18, 44)]
    [InlineData("5.15.0-91-generic", 5, 15, 0)]
    [InlineData("6.6", 6, 6, 0)]
    [InlineData("6.1.0-rc3\n", 6, 1, 0)]
    public void Kernel_release_parses(string release, int major, int minor, int patch)
    {
        Assert.Equal(new KernelVersion(major, minor, patch), KernelVersion.Parse(release));
    }

    [Theory]
    [InlineData(-Errno.ENODEV, true)]       // the attach type is known; only the interface is missing
    [InlineData(-Errno.EINVAL, false)]      // link_create refuses an attach type it does not know (before 6.6)
    [InlineData(-Errno.EOPNOTSUPP, false)]
    [InlineData(-Errno.ENOTSUPP, false)]
    [InlineData(-Errno.EPERM, false)]
    [InlineData(7, true)]                   // a link was made after all: the feature exists
    public void Tcx_probe_reads_ENODEV_as_supported_and_any_refusal_as_not(int result, bool supported)
    {
        Assert.Equal(supported, Tcx.InterpretProbe(result));
    }

    [Theory]
    [InlineData("0-1\n", 2)]
    [InlineData("0", 1)]
    [InlineData("0-3,6,8-9", 7)]
    public void Possible_cpu_list_counts(string list, int count)
    {
        Assert.Equal(count, PossibleCpus.Parse(list));
    }

    [Fact]
    public void Statistics_come_from_the_last_line_of_the_log()
    {
        const string log = "verification time 7 usec\nstack depth 0\n" +
                           "processed 12 insns (limit 1000000) max_states_per_insn 1 total_states 3 peak_states 3 mark_read 1\n";
        var statistics = VerifierStatistics.Parse(10, log);
        Assert.Equal(new VerifierStatistics(10, 12, 3, 3, 1, TimeSpan.FromMicroseconds(7)), statistics);
        Assert.Null(VerifierStatistics.Parse(10, "nothing here"));
    }

    [Theory]
    [InlineData("a_name_that_is_too_long")]
    [InlineData("bad-name")]
    public void Names_outside_the_kernel_rules_are_refused(string name)
    {
        Assert.NotNull(ObjectName.Validate(name));
        Assert.Throws<ArgumentException>(() => BpfMap.Create(new MapSpec(name, MapType.Hash, 4, 4, 1)));
    }

    [Theory]
    [InlineData(BpfCommand.ProgLoad, Errno.EAGAIN, true)]      // a signal interrupted the verifier
    [InlineData(BpfCommand.ProgTestRun, Errno.EINTR, true)]    // a signal interrupted the repeat loop
    [InlineData(BpfCommand.ProgLoad, Errno.EINTR, false)]
    [InlineData(BpfCommand.MapCreate, Errno.EAGAIN, false)]
    [InlineData(BpfCommand.ProgLoad, Errno.EACCES, false)]
    public void Choke_point_retries_only_interruptions(BpfCommand command, int errno, bool retried)
    {
        Assert.Equal(retried, BpfSyscall.ShouldRetry(command, errno));
    }
}
