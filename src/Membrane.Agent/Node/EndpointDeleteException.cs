namespace Membrane.Agent.Node;

/// <summary>
/// Deleting an endpoint failed. Either before anything was removed (its state file could not even say it is being
/// deleted: the endpoint is as it was), or part way (the file says so, and the agent removes what is left when it next
/// starts). The message says which, and why.
/// </summary>
public sealed class EndpointDeleteException(string name, bool partWay, Exception inner) : Exception(
    partWay
        ? $"deleting endpoint {name} failed part way ({inner.Message}); its state file says it is being deleted, so the agent removes what is left when it next starts"
        : $"deleting endpoint {name} failed before anything was removed ({inner.Message}); the endpoint is as it was",
    inner)
{
    public string Name { get; } = name;

    public bool PartWay { get; } = partWay;
}
