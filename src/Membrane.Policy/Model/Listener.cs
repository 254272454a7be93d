namespace Membrane.Policy.Model;

/// <summary>A redirect of the port's traffic to a named Envoy listener.</summary>
public sealed record Listener : PolicyNode
{
    public EnvoyConfigReference? EnvoyConfig { get; init; }

    public Scalar? Name { get; init; }

    public Scalar? Priority { get; init; }
}
