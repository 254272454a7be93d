namespace Membrane.Policy.Icmp;

/// <summary>An inclusive range of ICMP codes.</summary>
public readonly record struct IcmpCodeRange(byte Low, byte High)
{
    public static IcmpCodeRange Single(byte code) => new(code, code);

    public bool Contains(byte code) => code >= Low && code <= High;

    public override string ToString() => Low == High ? $"{Low}" : $"{Low}-{High}";
}
