namespace Membrane.Policy.Model;

/// <summary>An entry of a rule's own <c>labels</c>, which name the rule (not the endpoints).</summary>
public sealed record RuleLabel : PolicyNode
{
    public Scalar? Key { get; init; }

    public Scalar? Value { get; init; }

    public Scalar? Source { get; init; }
}
