using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Membrane.Cli.Tests.Agent;

/// <summary>
/// One scenario of Agent/Scenarios/*.yaml: endpoints by role with their labels, policies by name, and steps run in
/// order against a real agent: policy imports and deletes, and flows with the outcome the traffic must have and the
/// monitor event that must explain it.
/// </summary>
public sealed class AgentScenario
{
    public string Name { get; set; } = "";

    /// <summary>Role → labels (<c>k8s:app=web</c>); each role becomes an endpoint of the test's agent.</summary>
    public Dictionary<string, string> Endpoints { get; set; } = [];

    /// <summary>Name → a policy file's YAML, imported by an <c>import</c> step.</summary>
    public Dictionary<string, string> Policies { get; set; } = [];

    public List<AgentScenarioStep> Steps { get; set; } = [];

    public override string ToString() => Name;

    public static List<AgentScenario> Load(string file) =>
        new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build()
            .Deserialize<List<AgentScenario>>(File.ReadAllText(file));
}

/// <summary>
/// One step: <c>import: NAME</c> (a policy of <see cref="AgentScenario.Policies"/>, with <c>revision</c> the revision
/// the agent must then report), <c>delete: NAME</c> (<c>membrane policy delete</c>), or a flow.
/// </summary>
public sealed class AgentScenarioStep
{
    public string? Import { get; set; }

    public long? Revision { get; set; }

    public string? Delete { get; set; }

    /// <summary>
    /// <c>ping4</c> or <c>ping6</c> followed by ping options (<c>-s 4000</c>, <c>-e 4242</c>), or
    /// <c>tcp4/PORT</c>, <c>tcp6/PORT</c>, <c>udp4/PORT</c>, <c>udp6/PORT</c>.
    /// </summary>
    public string? Flow { get; set; }

    public string From { get; set; } = "";

    public string To { get; set; } = "";

    /// <summary><c>allowed</c> (the traffic gets through and the monitor shows no drop between the two) or <c>dropped</c> (it does not, and <see cref="Event"/> arrives).</summary>
    public string Expect { get; set; } = "";

    public AgentScenarioEvent? Event { get; set; }

    /// <summary>Further events that must arrive too (such as the later fragments' drops).</summary>
    public List<AgentScenarioEvent> Events { get; set; } = [];

    public override string ToString() =>
        Import is not null ? $"import {Import}" : Delete is not null ? $"delete {Delete}" : $"{Flow} {From} -> {To}: {Expect}";
}

/// <summary>A monitor flow (<c>membrane monitor -o json</c>, Hubble's shape) from the flow's source to its destination.</summary>
public sealed class AgentScenarioEvent
{
    public string Verdict { get; set; } = "DROPPED";

    /// <summary>INGRESS (the destination's ingress policy) or EGRESS (the source's egress policy).</summary>
    public string Direction { get; set; } = "";

    /// <summary>The key under <c>l4</c>: ICMPv4, ICMPv6, TCP or UDP.</summary>
    public string Protocol { get; set; } = "";

    public int? IcmpType { get; set; }

    public int? DestinationPort { get; set; }

    /// <summary>Whether the peer (the source at ingress, the destination at egress) is named: a later fragment is decided without the ipcache (identity 0, docs/datapath.md section 11), so it is not.</summary>
    public bool PeerNamed { get; set; } = true;

    /// <summary><c>drop_reason_desc</c>, such as DENIED_BY_DEFAULT or POLICY_DENIED.</summary>
    public string? Reason { get; set; }

    public override string ToString() =>
        $"{Verdict} {Direction} {Protocol}{(IcmpType is { } t ? $" type {t}" : "")}{(DestinationPort is { } p ? $" port {p}" : "")}{(Reason is null ? "" : $" reason {Reason}")}";
}
