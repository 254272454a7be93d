namespace Membrane.Policy.Engine.Tests;

/// <summary>
/// One scenario of Scenarios/*.yaml: policies, the identities of the world it runs in, the
/// endpoint whose policy is checked, and flows with the verdict each must get.
/// </summary>
public sealed class EngineScenario
{
    public string Name { get; set; } = "";

    public string Policies { get; set; } = "";

    /// <summary>Identity name → labels ("k8s:app=web,...") or {labels, ips, namedPorts}.</summary>
    public Dictionary<string, object> Identities { get; set; } = [];

    public string Endpoint { get; set; } = "";

    /// <summary>"ingress web 80/TCP" or "egress world icmp EchoRequest/IPv6" → allow | deny.</summary>
    public Dictionary<string, string> Flows { get; set; } = [];

    public override string ToString() => Name;
}
