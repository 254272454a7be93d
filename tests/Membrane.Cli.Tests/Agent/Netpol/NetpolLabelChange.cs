namespace Membrane.Cli.Tests.Agent.Netpol;

/// <summary>A label a step adds, <c>KEY=VALUE</c>, to a pod (NS/POD) or to a namespace; taken away again after the case.</summary>
public sealed class NetpolLabelChange
{
    public string? Pod { get; set; }

    public string? Namespace { get; set; }

    public string Set { get; set; } = "";
}
