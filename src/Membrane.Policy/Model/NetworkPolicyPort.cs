namespace Membrane.Policy.Model;

/// <summary>A NetworkPolicy port: protocol (TCP by default), port number or name, and endPort.</summary>
public sealed record NetworkPolicyPort : PolicyNode
{
    public Scalar? Protocol { get; init; }

    public Scalar? Port { get; init; }

    public Scalar? EndPort { get; init; }
}
