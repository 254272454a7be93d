namespace Membrane.Datapath.Tests.Twin;

public sealed class ScenarioEndpoint
{
    public uint Ifindex { get; set; } = 10;

    public uint Id { get; set; } = 1;

    public uint Identity { get; set; } = 1000;

    public bool IngressDefaultDeny { get; set; }

    public bool EgressDefaultDeny { get; set; }

    /// <summary>The endpoint's own IPv4 address, the only IPv4 source its packets may carry; "none" for no address.</summary>
    public string Ipv4 { get; set; } = "10.0.0.2";

    /// <summary>The endpoint's own IPv6 address; "none" for no address.</summary>
    public string Ipv6 { get; set; } = "fd00::2";
}
