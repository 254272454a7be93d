namespace Membrane.Datapath.Tests.Twin;

public sealed class ScenarioCounter
{
    public string Reason { get; set; } = "";

    public string Dir { get; set; } = "";

    public string Class { get; set; } = "";

    public ulong Count { get; set; }
}
