using Membrane.Policy.Icmp;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Reference;

/// <summary>
/// A packet as policy sees it, from one endpoint's side: its direction, the peer's identity, the
/// IP protocol, and the destination port or the ICMP type and code.
/// </summary>
public sealed record Flow(TrafficDirection Direction, Identity Peer, byte Protocol, ushort Port = 0, byte IcmpType = 0, byte IcmpCode = 0)
{
    /// <summary>The 16-bit value a map key matches: the port, or <c>type &lt;&lt; 8 | code</c> for ICMP.</summary>
    public ushort L4Value => IpProtocols.IsIcmp(Protocol) ? IcmpKeyValue.Of(IcmpType, IcmpCode) : Port;

    public override string ToString() => IpProtocols.IsIcmp(Protocol)
        ? $"{Direction} peer {Peer.Id} {IpProtocols.Name(Protocol)} type {IcmpType} code {IcmpCode}"
        : $"{Direction} peer {Peer.Id} {IpProtocols.Name(Protocol)} port {Port}";
}
