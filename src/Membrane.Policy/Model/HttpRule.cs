namespace Membrane.Policy.Model;

/// <summary>An HTTP request pattern: path and host are regular expressions, method a verb pattern.</summary>
public sealed record HttpRule : PolicyNode
{
    public Scalar? Path { get; init; }

    public Scalar? Method { get; init; }

    public Scalar? Host { get; init; }

    public PolicyList<Scalar> Headers { get; init; }

    public PolicyList<HeaderMatch> HeaderMatches { get; init; }
}
