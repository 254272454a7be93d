namespace Membrane.Policy.Model;

/// <summary><c>log</c>: a value that policy verdict events carry.</summary>
public sealed record LogConfig : PolicyNode
{
    public Scalar? Value { get; init; }
}
