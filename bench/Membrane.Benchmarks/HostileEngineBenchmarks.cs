using System.Text;
using BenchmarkDotNet.Attributes;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Engine.Tracing;
using Membrane.Policy.Reading;

namespace Membrane.Benchmarks;

/// <summary>
/// Issue 7: trace one packet and resolve one endpoint over 100,000 identities and a
/// CiliumClusterwideNetworkPolicy that selects every endpoint, and read a 100,000-identity file.
/// Half the identities (50,000) match the policy's peer selector, so the resolved map state of one
/// endpoint holds 200,000 entries (two ports and two ICMP types each): resolve must cost in
/// proportion to that, and trace, whose answer is one decision per side, far less.
/// </summary>
[MemoryDiagnoser]
[GcConcurrent(false)] // as the membrane CLI runs
public class HostileEngineBenchmarks
{
    private const int Identities = 100_000;

    private const string Policy = """
        apiVersion: cilium.io/v2
        kind: CiliumClusterwideNetworkPolicy
        metadata: {name: everyone}
        spec:
          endpointSelector: {}
          ingress:
          - fromEndpoints: [{matchLabels: {app: x}}]
            toPorts: [{ports: [{port: "80", protocol: TCP}, {port: "443", protocol: TCP}]}]
          - fromEndpoints: [{matchLabels: {app: x}}]
            icmps: [{fields: [{type: EchoRequest}, {type: EchoRequest, family: IPv6}]}]
          egress:
          - toEndpoints: [{matchLabels: {app: x}}]
            toPorts: [{ports: [{port: "53", protocol: UDP}]}]
        """;

    private List<SubjectRule> _rules = [];
    private IdentitySet _identities = new();
    private Identity _source = null!;
    private Identity _destination = null!;
    private string _identitiesFile = "";

    [GlobalSetup]
    public void Setup()
    {
        _rules = [.. PolicyReader.Read("everyone.yaml", Policy).Policies.SelectMany(p => RuleCompiler.Compile(p.Document))];
        _identities = new IdentitySet();
        var file = new StringBuilder("identities:\n");
        for (var i = 0; i < Identities; i++)
        {
            var app = i % 2 == 0 ? "x" : $"svc-{i % 100}";
            _identities.AddEndpoint(LabelSet.Parse($"k8s:app={app},k8s:pod=p{i},k8s:io.kubernetes.pod.namespace=shop"));
            file.Append($"- labels: [k8s:app={app}, k8s:pod=p{i}, k8s:io.kubernetes.pod.namespace=shop]\n  ips: [10.{i >> 16}.{(i >> 8) & 255}.{i & 255}]\n");
        }

        _identitiesFile = file.ToString();
        _source = _identities.Find(LabelSet.Parse("k8s:app=x,k8s:pod=p0,k8s:io.kubernetes.pod.namespace=shop"))!;
        _destination = _identities.Find(LabelSet.Parse("k8s:app=svc-1,k8s:pod=p1,k8s:io.kubernetes.pod.namespace=shop"))!;
    }

    [Benchmark]
    public bool TraceOnePacket() => PolicyTracer.Trace(_rules, _source, _destination, L4Spec.ParsePort("80/TCP")).Egress!.IsAllowed;

    [Benchmark]
    public int ResolveOneEndpoint() => new PolicyResolver(_rules, _identities, _destination).State.Entries.Count;

    [Benchmark]
    public int ReadIdentitiesFile()
    {
        var set = new IdentitySet();
        IdentityFile.Load("identities.yaml", _identitiesFile, set);
        return set.Count;
    }
}
