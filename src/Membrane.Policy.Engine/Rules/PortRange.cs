namespace Membrane.Policy.Engine.Rules;
using Membrane.Policy.Values;

/// <summary>A port range of one protocol; 0-65535 is every port.</summary>
public sealed record PortRange(byte Protocol, ushort Low, ushort High) : L4Match
{
    public override string ToString() => Low == 0 && High == ushort.MaxValue ? $"{IpProtocols.Name(Protocol)} any port"
        : Low == High ? $"{Low}/{IpProtocols.Name(Protocol)}" : $"{Low}-{High}/{IpProtocols.Name(Protocol)}";
}
