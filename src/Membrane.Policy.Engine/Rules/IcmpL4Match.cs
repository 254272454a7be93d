using Membrane.Policy.Icmp;
using Membrane.Policy.Values;

namespace Membrane.Policy.Engine.Rules;

/// <summary>An ICMP type of one family, with codes (none means every code).</summary>
public sealed record IcmpL4Match(IcmpMatch Icmp) : L4Match
{
    public byte Protocol => IpProtocols.ForIcmp(Icmp.Family);

    public override string ToString() => Icmp.ToString();
}
