using Membrane.Agent.State;
using Membrane.Policy.Engine.Service;
using Membrane.Policy.Validation;

namespace Membrane.Agent.Node;

/// <summary>
/// A policy change validated and compiled outside the agent's lock (<see cref="NodeAgent.StageImport"/>), waiting to be
/// made: what it puts and removes, and for an import the files the state directory keeps so that a restart restores it.
/// </summary>
public sealed record StagedPolicyChange(StagedPolicies Staged, StoredImport? Import)
{
    public static StagedPolicyChange Of(StagedPolicies staged, IReadOnlyList<PolicyText> texts) => new(staged,
        new StoredImport([.. texts.Select(t => new StoredPolicyFile(t.File, t.Text))],
            [.. staged.Report.Files.SelectMany(f => f.Policies.Select(p => StoredPolicyKey.Of(ResourceKey.Of(p.Document, f.File))))]));

    public static StagedPolicyChange Delete(IEnumerable<ResourceKey> keys) => new(PolicyService.StageDelete(keys), Import: null);
}
