namespace Membrane.Policy.Model;

/// <summary>A DNS name or pattern: a <c>toFQDNs</c> entry, or a <c>dns</c> L7 rule.</summary>
public sealed record FqdnSelector : PolicyNode
{
    public Scalar? MatchName { get; init; }

    public Scalar? MatchPattern { get; init; }
}
