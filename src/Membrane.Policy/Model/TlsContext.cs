namespace Membrane.Policy.Model;

/// <summary><c>terminatingTLS</c>/<c>originatingTLS</c>: where the proxy finds certificates.</summary>
public sealed record TlsContext : PolicyNode
{
    public SecretReference? Secret { get; init; }

    public Scalar? TrustedCa { get; init; }

    public Scalar? Certificate { get; init; }

    public Scalar? PrivateKey { get; init; }
}
