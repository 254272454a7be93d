namespace Membrane.Datapath.Tests.Twin;

/// <summary>
/// One scenario of Scenarios/*.yaml: the maps (an endpoint, the ipcache, policy entries, the configuration) and
/// packets in time order, each with the reason it must get. The policy lines read
/// <c>ingress 2001 TCP 80 allow</c>, <c>egress any ICMP type 3 code 4 deny cookie 9</c>, <c>ingress 2001 any allow</c>,
/// <c>ingress any UDP 8192/3 allow</c> (a value and its prefix bits).
/// </summary>
public sealed class TwinScenario
{
    public string Name { get; set; } = "";

    public ScenarioEndpoint Endpoint { get; set; } = new();

    /// <summary>Prefix → identity.</summary>
    public Dictionary<string, uint> Ipcache { get; set; } = [];

    public List<string> Policy { get; set; } = [];

    public ScenarioConfig? Config { get; set; }

    public List<ScenarioPacket> Packets { get; set; } = [];

    public List<ScenarioCounter> Counters { get; set; } = [];

    public ulong? Suppressed { get; set; }

    public override string ToString() => Name;
}
