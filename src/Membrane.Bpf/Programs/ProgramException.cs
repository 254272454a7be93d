namespace Membrane.Bpf.Programs;

/// <summary>An operation on a loaded program failed (a test run, an info query): names the program and operation.</summary>
public sealed class ProgramException(string programName, string operation, BpfCommand command, int errno)
    : BpfException(command, errno, $"program '{programName}': {operation}: ", detail: null, innerException: null)
{
    public string ProgramName { get; } = programName;

    public string Operation { get; } = operation;
}
