namespace Membrane.Datapath.Tests.Twin;

public sealed class ScenarioEndpoint
{
    public uint Ifindex { get; set; } = 10;

    public uint Id { get; set; } = 1;

    public uint Identity { get; set; } = 1000;

    public bool IngressDefaultDeny { get; set; }

    public bool EgressDefaultDeny { get; set; }
}
