namespace Membrane.Policy.Model;

/// <summary>A header an HTTP request must (or must not) carry, possibly with its value in a secret.</summary>
public sealed record HeaderMatch : PolicyNode
{
    public Scalar? Mismatch { get; init; }

    public Scalar? Name { get; init; }

    public SecretReference? Secret { get; init; }

    public Scalar? Value { get; init; }
}
