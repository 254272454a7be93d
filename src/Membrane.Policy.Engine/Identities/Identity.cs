using System.Collections.Immutable;
using System.Net;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Identities;

/// <summary>
/// A numeric security identity for a set of labels. Reserved identities keep Cilium's numbers
/// (1-10); endpoint identities start at 256; identities for CIDRs are local to the node and start
/// at 2^24, as Cilium's do. 0 is never an identity: map keys use it for "any peer".
/// </summary>
public sealed record Identity(uint Id, LabelSet Labels)
{
    public const uint FirstEndpoint = 256;
    public const uint FirstCidr = 1u << 24;

    /// <summary>For a CIDR identity, the prefix it stands for.</summary>
    public Cidr? Prefix { get; init; }

    /// <summary>Addresses of an endpoint identity, which the IP cache maps back to it.</summary>
    public ImmutableArray<IPAddress> Addresses { get; init; } = [];

    /// <summary>Named ports an endpoint exposes, as <c>toPorts</c> may name them.</summary>
    public ImmutableDictionary<string, NamedPort> NamedPorts { get; init; } = ImmutableDictionary<string, NamedPort>.Empty;

    public bool IsReserved => Id < FirstEndpoint;

    public bool IsCidr => Id >= FirstCidr;

    public bool IsEndpoint => !IsReserved && !IsCidr;

    public override string ToString() => $"{Id} ({Labels})";
}
