namespace Membrane.Policy.Model;

/// <summary>The CiliumEnvoyConfig (or clusterwide one) that defines a listener.</summary>
public sealed record EnvoyConfigReference : PolicyNode
{
    public Scalar? Kind { get; init; }

    public Scalar? Name { get; init; }
}
