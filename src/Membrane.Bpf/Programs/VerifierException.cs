namespace Membrane.Bpf.Programs;

/// <summary>
/// The verifier rejected a program. <see cref="Log"/> is the whole verifier log; the message shows its last lines,
/// where the reason is, as cilium/ebpf's VerifierError does.
/// </summary>
public sealed class VerifierException(string programName, int errno, string log, bool logTruncated)
    : BpfException(BpfCommand.ProgLoad, errno, $"program '{programName}': ", Tail(log, logTruncated), innerException: null)
{
    /// <summary>How many lines of the log the message shows.</summary>
    public const int TailLines = 12;

    public string ProgramName { get; } = programName;

    /// <summary>The whole verifier log.</summary>
    public string Log { get; } = log;

    /// <summary>Whether the log was cut short because even the largest buffer was too small.</summary>
    public bool LogTruncated { get; } = logTruncated;

    private static string Tail(string log, bool truncated)
    {
        var lines = log.TrimEnd('\n', '\0').Split('\n');
        var shown = lines.Length <= TailLines ? lines : lines[^TailLines..];
        var header = lines.Length <= TailLines
            ? "Verifier log:"
            : $"Verifier log (last {TailLines} of {lines.Length} lines; the Log property has all of it):";
        var truncation = truncated ? "\n(the log was truncated: it did not fit in the largest buffer)" : string.Empty;
        return $"{header}\n  {string.Join("\n  ", shown)}{truncation}";
    }
}
