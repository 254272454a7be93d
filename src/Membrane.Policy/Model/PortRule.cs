namespace Membrane.Policy.Model;

/// <summary>A <c>toPorts</c> entry: ports, and what else must hold on them (L7 rules, TLS, SNI).</summary>
public sealed record PortRule : PolicyNode
{
    public PolicyList<PortProtocol> Ports { get; init; }

    public L7Rules? Rules { get; init; }

    public TlsContext? TerminatingTls { get; init; }

    public TlsContext? OriginatingTls { get; init; }

    public PolicyList<Scalar> ServerNames { get; init; }

    public Listener? Listener { get; init; }
}
