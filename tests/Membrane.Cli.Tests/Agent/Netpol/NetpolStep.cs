namespace Membrane.Cli.Tests.Agent.Netpol;

/// <summary>
/// One step of a case: policies imported (added to those there, or replacing those of the same names), labels added
/// to pods and namespaces, then tables checked.
/// </summary>
public sealed class NetpolStep
{
    public string Policies { get; set; } = "";

    public List<NetpolLabelChange> Labels { get; set; } = [];

    public List<NetpolCheck> Checks { get; set; } = [];
}
