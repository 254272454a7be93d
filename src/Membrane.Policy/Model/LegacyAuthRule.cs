namespace Membrane.Policy.Model;

/// <summary><c>auth</c>, the older spelling of <see cref="AuthenticationRule"/> (with a <c>type</c>).</summary>
public sealed record LegacyAuthRule : PolicyNode
{
    public Scalar? Type { get; init; }
}
