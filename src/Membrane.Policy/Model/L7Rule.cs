namespace Membrane.Policy.Model;

/// <summary>One generic <c>l7</c> rule of a named L7 protocol: free-form key/value pairs.</summary>
public sealed record L7Rule : PolicyNode
{
    public PolicyList<KeyValue> Entries { get; init; }
}
