namespace Membrane.Policy.Model;

/// <summary>An <c>icmps</c> entry: up to 40 ICMP fields, any of which allows (or denies) a packet.</summary>
public sealed record IcmpRule : PolicyNode
{
    public PolicyList<IcmpField> Fields { get; init; }
}
