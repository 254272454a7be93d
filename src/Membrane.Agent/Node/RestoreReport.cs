using Membrane.Agent.State;

namespace Membrane.Agent.Node;

/// <summary>
/// What an agent took back from its state directory when it started: the endpoints restored, those swept away (each
/// with why: made or deleted only part way when the agent stopped, or their namespace or interface gone), the state
/// files that did not read (moved aside), and the policy revision restored.
/// </summary>
public sealed record RestoreReport(
    IReadOnlyList<string> Restored,
    IReadOnlyList<string> Swept,
    IReadOnlyList<StateFileProblem> Problems,
    long Revision,
    int Policies)
{
    /// <summary>What was wrong with what the last agent left and was repaired (logged as errors).</summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    public static readonly RestoreReport None = new([], [], [], 0, 0);
}
