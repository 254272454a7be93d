namespace Membrane.Policy.Engine.Rules;

/// <summary>Every protocol, ICMP included: an L3-only rule.</summary>
public sealed record AllTraffic : L4Match
{
    public static AllTraffic Instance { get; } = new();

    public override string ToString() => "all traffic";
}
