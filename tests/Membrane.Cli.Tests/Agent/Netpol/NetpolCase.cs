using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Membrane.Cli.Tests.Agent.Netpol;

/// <summary>One case of Agent/Netpol/cases.yaml: a case of Kubernetes' NetworkPolicy e2e suite, transcribed.</summary>
public sealed class NetpolCase
{
    public string Name { get; set; } = "";

    /// <summary>The pods the case's table covers, NS/POD.</summary>
    public List<string> Pods { get; set; } = [];

    /// <summary>The policies, as one YAML stream.</summary>
    public string Policies { get; set; } = "";

    public bool Default { get; set; }

    public List<NetpolExpectation> Expect { get; set; } = [];

    /// <summary>Whether FROM may connect to TO: the default, then every matching line, the last one winning.</summary>
    public bool Expected(string from, string to)
    {
        var allowed = Default;
        foreach (var line in Expect.Where(e => Matches(e.From, from) && Matches(e.To, to)))
        {
            allowed = line.Allowed;
        }

        return allowed;
    }

    private static bool Matches(string pattern, string pod) =>
        pattern == "*" || pattern == pod || (pattern.EndsWith("/*", StringComparison.Ordinal) && pod.StartsWith(pattern[..^1], StringComparison.Ordinal));

    public override string ToString() => Name;

    public static List<NetpolCase> Load(string file) =>
        new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build()
            .Deserialize<List<NetpolCase>>(File.ReadAllText(file));
}
