namespace Membrane.Cli.Tests.Agent.Netpol;

/// <summary>One line of a case's table: the pairs FROM → TO it matches (NS/POD, NS/* or *) may connect or not.</summary>
public sealed class NetpolExpectation
{
    public string From { get; set; } = "*";

    public string To { get; set; } = "*";

    public bool Allowed { get; set; }
}
