namespace Membrane.Agent.Node;

/// <summary>A call named something the agent does not have: an endpoint or a policy. The API answers 404.</summary>
public sealed class ResourceNotFoundException(string kind, string name) : Exception($"no {kind} {name}")
{
    public string Kind { get; } = kind;

    public string Name { get; } = name;
}
