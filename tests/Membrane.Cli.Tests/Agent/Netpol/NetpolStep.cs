namespace Membrane.Cli.Tests.Agent.Netpol;

/// <summary>One step of a case: policies imported (added to those there), then tables checked.</summary>
public sealed class NetpolStep
{
    public string Policies { get; set; } = "";

    public List<NetpolCheck> Checks { get; set; } = [];
}
