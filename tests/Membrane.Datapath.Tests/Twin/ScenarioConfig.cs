namespace Membrane.Datapath.Tests.Twin;

public sealed class ScenarioConfig
{
    public bool EmitAllowEvents { get; set; }

    public uint? Rate { get; set; }

    public uint? Burst { get; set; }

    /// <summary>The always-allowed ICMPv6 types, narrowing the RFC 4890 set; absent keeps the whole set.</summary>
    public List<byte>? AlwaysAllowedIcmpV6 { get; set; }
}
