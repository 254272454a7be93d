namespace Membrane.Policy.Model;

/// <summary>
/// One <c>ports</c> entry: a port number or name, an optional <c>endPort</c> for a range, and a
/// protocol (TCP, UDP, SCTP or ANY; empty means ANY).
/// </summary>
public sealed record PortProtocol : PolicyNode
{
    public Scalar? Port { get; init; }

    public Scalar? EndPort { get; init; }

    public Scalar? Protocol { get; init; }
}
