namespace Membrane.Cli.Tests.Hostile;

/// <summary>
/// One hostile input: how to make it in a directory (returning the command line), the exit code,
/// the exact line the command must print (with {dir} for the directory), and the most it may
/// allocate and take. The big inputs are generated here, never committed.
/// </summary>
public sealed record HostileInputCase(string Name, Func<string, string[]> Setup, int ExitCode, string Expected, long MaxAllocatedBytes, double MaxSeconds)
{
    public override string ToString() => Name;
}
