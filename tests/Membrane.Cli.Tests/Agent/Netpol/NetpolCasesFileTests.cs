using System.Net;
using Membrane.Policy.Engine.Service;
using Membrane.Policy.Validation;

namespace Membrane.Cli.Tests.Agent.Netpol;

/// <summary>
/// The transcribed cases themselves, without root: every case is named once, covers pods of the model, probes a port
/// the servers listen on, and, with the pods' addresses put in, imports as valid NetworkPolicy. A case that did not
/// read would otherwise only show on a machine that runs the kernel tests.
/// </summary>
public sealed class NetpolCasesFileTests
{
    private static readonly string[] Ports = ["80/TCP", "81/TCP", "80/UDP", "81/UDP", "80/SCTP", "81/SCTP"];

    private static readonly Dictionary<string, IPAddress> Addresses =
        new[] { "x", "y", "z" }.SelectMany(ns => new[] { "a", "b", "c" }.Select(pod => $"{ns}/{pod}"))
            .Select((pod, i) => (pod, IPAddress.Parse($"10.200.0.{i + 2}"))).ToDictionary(p => p.pod, p => p.Item2, StringComparer.Ordinal);

    private static List<NetpolCase> Cases => NetpolCase.Load(Path.Combine(AppContext.BaseDirectory, "Agent", "Netpol", "cases.yaml"));

    [Fact]
    public void Every_case_is_named_once_and_reads()
    {
        var cases = Cases;
        Assert.True(cases.Count >= 48, $"only {cases.Count} cases");
        Assert.Equal(cases.Count, cases.Select(c => c.Name).Distinct().Count());
        foreach (var netpol in cases)
        {
            Assert.All(netpol.Pods, pod => Assert.Contains(pod, Addresses.Keys));
            Assert.All(netpol.AllSteps().SelectMany(s => s.Checks), check => Assert.Contains(check.Port, Ports));
            foreach (var step in netpol.AllSteps().Where(s => s.Policies.Length > 0))
            {
                var change = new PolicyService().Load([new PolicyText("case.yaml", NetpolCase.WithAddresses(step.Policies, Addresses))]);
                Assert.True(change.Applied, $"{netpol.Name}: {string.Join("; ", change.Report.Files.SelectMany(f => f.AllFindings))}");
            }
        }
    }

    [Fact]
    public void A_template_gives_a_pods_address_or_the_prefix_that_holds_it()
    {
        Assert.Equal("cidr: 10.200.0.3/32, near: 0.0.0.0/4, in: 10.200.0.0/16, at 10.200.0.3",
            NetpolCase.WithAddresses("cidr: {{x/b/32}}, near: {{x/b/4}}, in: {{x/b/16}}, at {{x/b}}", Addresses));
        Assert.Throws<InvalidOperationException>(() => NetpolCase.WithAddresses("{{q/a}}", Addresses));
    }
}
