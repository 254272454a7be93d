using Membrane.Agent.Node;
using Membrane.Policy.Engine.Service;

namespace Membrane.Agent.Control;

/// <summary>
/// What the <see cref="Regenerator"/> needs of the node to make policy changes: <see cref="NodeAgent"/> in the agent,
/// a fake in the tests of the regenerator's own logic (order, coalescing, timeouts), which need no kernel.
/// </summary>
public interface IPolicyCommitter
{
    /// <summary>Makes valid changes, in order, as one, all or nothing (<see cref="NodeAgent.CommitPolicies"/>).</summary>
    PolicyChange CommitPolicies(IReadOnlyList<StagedPolicyChange> batch);
}
