namespace Membrane.Agent.Node;

/// <summary>
/// A call that clashes with what the agent has: a name that exists already, a namespace that is another endpoint's, a
/// name that fits several policies. Nothing was changed; the API answers 409.
/// </summary>
public sealed class ResourceConflictException(string message) : Exception(message);
