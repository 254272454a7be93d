namespace Membrane.Policy.Icmp;

using System.Collections.Immutable;

/// <summary>
/// A resolved ICMP field: a family, an exact type (0 is EchoReply, never "any"), and the code
/// ranges it matches. No ranges means every code of the type.
/// </summary>
public sealed record IcmpMatch(IcmpFamily Family, byte Type, ImmutableArray<IcmpCodeRange> Codes)
{
    public bool AllCodes => Codes.IsDefaultOrEmpty;

    public bool Matches(IcmpFamily family, byte type, byte code) =>
        family == Family && type == Type && (AllCodes || Codes.Any(r => r.Contains(code)));

    public override string ToString()
    {
        var codes = AllCodes ? "" : $" code {string.Join(",", Codes)}";
        return $"{Family} {IcmpTypes.Describe(Family, Type)}{codes}";
    }
}
