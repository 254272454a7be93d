namespace Membrane.Policy.Model;

/// <summary><c>authentication</c>: whether the peers must mutually authenticate.</summary>
public sealed record AuthenticationRule : PolicyNode
{
    public Scalar? Mode { get; init; }
}
