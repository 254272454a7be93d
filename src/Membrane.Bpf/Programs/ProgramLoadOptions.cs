namespace Membrane.Bpf.Programs;

/// <summary>How to load a program and how much of the verifier's log to keep.</summary>
public sealed record ProgramLoadOptions
{
    /// <summary>The log asked for on the first attempt. Statistics is cheap and fills
    /// <see cref="BpfProgram.Statistics"/>; a rejected program is loaded again with <see cref="VerifierLogLevel.Branch"/>
    /// added so that the exception carries the whole walk.</summary>
    public VerifierLogLevel LogLevel { get; init; } = VerifierLogLevel.Statistics;

    /// <summary>The first log buffer, in bytes. When the log does not fit (ENOSPC) the loader grows the buffer, using
    /// the size the kernel reports (<c>log_true_size</c>, Linux 6.4), up to <see cref="MaxLogSize"/>.</summary>
    public int LogSize { get; init; } = 64 * 1024;

    /// <summary>The largest log buffer the loader tries; the kernel caps it at 2^30 - 1 bytes.</summary>
    public int MaxLogSize { get; init; } = 64 * 1024 * 1024;

    public static ProgramLoadOptions Default { get; } = new();
}
