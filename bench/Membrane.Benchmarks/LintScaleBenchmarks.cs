using System.Text;
using BenchmarkDotNet.Attributes;
using Membrane.Policy.Validation;

namespace Membrane.Benchmarks;

/// <summary>
/// Issue 7: <c>--lint</c> on one policy with 10,000 rules in one section costs at most twice
/// validation without it. Half the rules allow ports and half allow IPv4 ping to the same peers, so
/// both lint checks that look across the section ("ports without ICMP", "IPv4-only echo") run for
/// every rule.
/// </summary>
[MemoryDiagnoser]
[GcConcurrent(false)] // as the membrane CLI runs
public class LintScaleBenchmarks
{
    private const int Rules = 10_000;

    private List<PolicyText> _files = [];

    [GlobalSetup]
    public void Setup()
    {
        var text = new StringBuilder("""
            apiVersion: cilium.io/v2
            kind: CiliumNetworkPolicy
            metadata: {name: wide, namespace: shop}
            spec:
              endpointSelector: {matchLabels: {app: target}}
              ingress:

            """);
        for (var i = 0; i < Rules; i++)
        {
            text.Append(i % 2 == 0
                ? $"  - fromEndpoints: [{{matchLabels: {{app: svc-{i / 2}}}}}]\n    toPorts: [{{ports: [{{port: \"80\", protocol: TCP}}]}}]\n"
                : $"  - fromEndpoints: [{{matchLabels: {{app: svc-{i / 2}}}}}]\n    icmps: [{{fields: [{{type: EchoRequest}}]}}]\n");
        }

        _files = [new PolicyText("wide.yaml", text.ToString())];
        var report = PolicyValidationService.Validate(_files);
        if (!report.IsValid || report.PolicyCount != 1)
        {
            throw new InvalidOperationException($"the generated policy must be valid: {report.Summary}");
        }
    }

    [Benchmark(Baseline = true)]
    public int Validate() => PolicyValidationService.Validate(_files).PolicyCount;

    [Benchmark]
    public int ValidateAndLint() => PolicyValidationService.Validate(_files, new ValidationOptions { Lint = true }).PolicyCount;
}
