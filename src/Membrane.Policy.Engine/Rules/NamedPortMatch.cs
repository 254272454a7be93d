using System.Collections.Immutable;

namespace Membrane.Policy.Engine.Rules;

/// <summary>A port named by the endpoint it goes to (the subject on ingress, the peer on egress).</summary>
public sealed record NamedPortMatch(string Name, ImmutableArray<byte> Protocols) : L4Match
{
    public override string ToString() => $"port {Name}";
}
