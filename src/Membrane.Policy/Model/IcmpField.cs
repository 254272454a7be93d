namespace Membrane.Policy.Model;

/// <summary>
/// One ICMP match: <c>family</c> (IPv4 by default), <c>type</c> (a number or a name) and, beyond
/// Cilium, optional <c>code</c>s: a number, a range "0-4", a code name, or a list of these.
/// Without codes every code of the type matches.
/// </summary>
public sealed record IcmpField : PolicyNode
{
    public Scalar? Family { get; init; }

    public Scalar? Type { get; init; }

    /// <summary>The codes written; a single value is a list of one.</summary>
    public PolicyList<Scalar> Codes { get; init; }
}
