using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Membrane.Cli.Tests.Agent.Netpol;

/// <summary>One case of Agent/Netpol/cases.yaml: a case of Kubernetes' NetworkPolicy e2e suite, transcribed.</summary>
public sealed class NetpolCase
{
    public string Name { get; set; } = "";

    /// <summary>The pods the case's table covers, NS/POD.</summary>
    public List<string> Pods { get; set; } = [];

    /// <summary>A case of one step: its policies, as one YAML stream, and its table on <see cref="NetpolCheck.Port"/>.</summary>
    public string Policies { get; set; } = "";

    public string Port { get; set; } = "80/TCP";

    public bool Default { get; set; }

    public List<NetpolExpectation> Expect { get; set; } = [];

    /// <summary>A case of several steps, run in order on what the steps before made.</summary>
    public List<NetpolStep> Steps { get; set; } = [];

    /// <summary>The steps: <see cref="Steps"/>, or the one the case's own fields make.</summary>
    public IReadOnlyList<NetpolStep> AllSteps() => Steps.Count > 0
        ? Steps
        : [new NetpolStep { Policies = Policies, Checks = [new NetpolCheck { Port = Port, Default = Default, Expect = Expect }] }];

    public override string ToString() => Name;

    public static List<NetpolCase> Load(string file) =>
        new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build()
            .Deserialize<List<NetpolCase>>(File.ReadAllText(file));
}
