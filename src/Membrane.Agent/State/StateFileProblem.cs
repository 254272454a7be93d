namespace Membrane.Agent.State;

/// <summary>A state file that did not read: where it was, where it was moved, and why.</summary>
public sealed record StateFileProblem(string Path, string MovedTo, string Reason)
{
    public override string ToString() => $"{Path}: {Reason}; moved to {MovedTo}";
}
