using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Membrane.Cli.Tests.Agent.Netpol;

/// <summary>One case of Agent/Netpol/cases.yaml: a case of Kubernetes' NetworkPolicy e2e suite, transcribed.</summary>
public sealed partial class NetpolCase
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

    /// <summary>Whether a table is probed over SCTP, which only a kernel with SCTP can send.</summary>
    public bool NeedsSctp => AllSteps().Any(s => s.Checks.Any(c => c.Port.EndsWith("/SCTP", StringComparison.Ordinal)));

    public override string ToString() => Name;

    /// <summary>
    /// Policies with each pod's address put in: <c>{{NS/POD}}</c> is its IPv4 address, <c>{{NS/POD/LEN}}</c> the prefix of
    /// that length that holds it, as upstream builds its CIDR cases from a pod's address.
    /// </summary>
    public static string WithAddresses(string policies, IReadOnlyDictionary<string, System.Net.IPAddress> addresses) =>
        Template().Replace(policies, m =>
        {
            var address = addresses.TryGetValue(m.Groups["pod"].Value, out var found)
                ? found
                : throw new InvalidOperationException($"{m.Value} names a pod the model does not have");
            if (!m.Groups["length"].Success)
            {
                return address.ToString();
            }

            var length = int.Parse(m.Groups["length"].Value, System.Globalization.CultureInfo.InvariantCulture);
            var bytes = address.GetAddressBytes();
            for (var bit = length; bit < bytes.Length * 8; bit++)
            {
                bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
            }

            return $"{new System.Net.IPAddress(bytes)}/{length}";
        });

    [System.Text.RegularExpressions.GeneratedRegex(@"\{\{(?<pod>[a-z]/[a-z])(/(?<length>[0-9]{1,3}))?\}\}")]
    private static partial System.Text.RegularExpressions.Regex Template();

    public static List<NetpolCase> Load(string file) =>
        new DeserializerBuilder().WithNamingConvention(CamelCaseNamingConvention.Instance).Build()
            .Deserialize<List<NetpolCase>>(File.ReadAllText(file));
}
