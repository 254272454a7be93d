namespace Membrane.Agent.State;

/// <summary>
/// One <c>policy import</c> that still supplies a policy: its files as they were sent, and the keys of the policies
/// they hold. An import whose every policy has been replaced by a later one, or deleted, is dropped from the state.
/// </summary>
public sealed record StoredImport(IReadOnlyList<StoredPolicyFile> Files, IReadOnlyList<StoredPolicyKey> Keys);
