namespace Membrane.Agent.State;

/// <summary>
/// The node's policies as <c>policies/repository.json</c> holds them: the revision reached, the imports that still
/// supply a policy (in the order they were made), the keys of the policies held, and the CIDR identities with their
/// numbers. Replaying the imports in order and keeping the live keys gives the repository back as it was.
/// </summary>
public sealed record PolicyState(long Revision, IReadOnlyList<StoredImport> Imports, IReadOnlyList<StoredPolicyKey> Live, IReadOnlyList<StoredCidr> Cidrs);
