namespace Membrane.Cli.Tests.Agent.Netpol;

/// <summary>
/// One step of a case: policies deleted, policies imported (added to those there, or replacing those of the same
/// names), labels added to pods and namespaces, then tables checked.
/// </summary>
public sealed class NetpolStep
{
    /// <summary>Every policy deleted first (<c>membrane policy delete --all</c>).</summary>
    public bool DeleteAll { get; set; }

    public string Policies { get; set; } = "";

    public List<NetpolLabelChange> Labels { get; set; } = [];

    public List<NetpolCheck> Checks { get; set; } = [];
}
