namespace Membrane.Datapath.Tests.Twin;

public sealed class ScenarioFragment
{
    public uint Id { get; set; } = 1;

    public int Offset { get; set; }

    public bool More { get; set; }
}
