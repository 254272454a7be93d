using System.Globalization;
using System.Text.RegularExpressions;

namespace Membrane.Bpf.Programs;

/// <summary>
/// What the verifier reported for an accepted program: the instructions loaded, and from the log's last line
/// (kernel/bpf/verifier.c <c>print_verification_stats</c>): <c>processed N insns (limit 1000000)
/// max_states_per_insn M total_states T peak_states P ...</c>.
/// </summary>
public sealed partial record VerifierStatistics(
    int InstructionCount,
    int ProcessedInstructions,
    int TotalStates,
    int PeakStates,
    int MaxStatesPerInstruction,
    TimeSpan? VerificationTime)
{
    /// <summary>Reads the statistics from a verifier log; null when the log has no "processed" line.</summary>
    public static VerifierStatistics? Parse(int instructionCount, string log)
    {
        var processed = ProcessedLine().Match(log);
        if (!processed.Success)
        {
            return null;
        }

        var time = VerificationTimeLine().Match(log);
        return new VerifierStatistics(
            instructionCount,
            Number(processed.Groups["insns"]),
            Number(processed.Groups["total"]),
            Number(processed.Groups["peak"]),
            Number(processed.Groups["max"]),
            time.Success ? TimeSpan.FromMicroseconds(Number(time.Groups["usec"])) : null);
    }

    private static int Number(Group group) =>
        group.Success ? int.Parse(group.ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture) : 0;

    [GeneratedRegex(@"processed (?<insns>\d+) insns \(limit \d+\)(?: max_states_per_insn (?<max>\d+))?(?: total_states (?<total>\d+))?(?: peak_states (?<peak>\d+))?")]
    private static partial Regex ProcessedLine();

    [GeneratedRegex(@"verification time (?<usec>\d+) usec")]
    private static partial Regex VerificationTimeLine();
}
