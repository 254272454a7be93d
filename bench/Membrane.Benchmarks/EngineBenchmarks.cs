using BenchmarkDotNet.Attributes;
using Membrane.Policy.Engine.Identities;
using Membrane.Policy.Engine.Labels;
using Membrane.Policy.Engine.MapState;
using Membrane.Policy.Engine.Rules;
using Membrane.Policy.Reading;
using Membrane.Policy.Values;

namespace Membrane.Benchmarks;

/// <summary>
/// The policy engine's goals (issue 3): 1,000 rules and 10,000 identities resolve for one endpoint
/// in at most 200 ms; adding one identity yields its delta in at most 1 ms; a verdict lookup on
/// the map state takes at most 200 ns.
/// </summary>
[MemoryDiagnoser]
[GcConcurrent(false)] // as the membrane CLI runs
public class EngineBenchmarks
{
    private const int Rules = 1_000;
    private const int Identities = 10_000;

    private List<SubjectRule> _rules = [];
    private IdentitySet _identities = new();
    private Identity _endpoint = null!;
    private PolicyResolver _resolver = null!;
    private EndpointMapState _state = null!;
    private Identity _peer = null!;
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        // 1,000 rules in 100 CiliumNetworkPolicies of 10 rules each, all selecting the endpoint
        // (the worst case for one endpoint): peers by app label, ports, port ranges and ICMP rules.
        var text = new System.Text.StringBuilder();
        for (var p = 0; p < Rules / 10; p++)
        {
            text.Append($"""
                ---
                apiVersion: cilium.io/v2
                kind: CiliumNetworkPolicy
                metadata: {"{"}name: p{p}, namespace: shop{"}"}
                spec:
                  endpointSelector: {"{"}matchLabels: {"{"}app: target{"}"}{"}"}
                  ingress:

                """);
            for (var r = 0; r < 10; r++)
            {
                var peer = $"svc-{(p * 10 + r) % 500}";
                text.Append((r % 3) switch
                {
                    0 => $"  - fromEndpoints: [{{matchLabels: {{app: {peer}}}}}]\n    toPorts: [{{ports: [{{port: \"{8000 + r}\", protocol: TCP}}, {{port: \"9000\", endPort: 9100, protocol: UDP}}]}}]\n",
                    1 => $"  - fromEndpoints: [{{matchLabels: {{app: {peer}}}}}]\n    icmps: [{{fields: [{{type: EchoRequest}}, {{type: EchoRequest, family: IPv6}}, {{type: 3, code: frag-needed}}]}}]\n",
                    _ => $"  - fromEndpoints: [{{matchExpressions: [{{key: app, operator: In, values: [{peer}, svc-{(p + r) % 500}]}}]}}]\n",
                });
            }
        }

        var read = PolicyReader.Read("bench.yaml", text.ToString());
        _rules = [.. read.Policies.SelectMany(p => RuleCompiler.Compile(p.Document))];
        if (_rules.Sum(r => r.Rules.Length) != Rules)
        {
            throw new InvalidOperationException($"expected {Rules} rules, compiled {_rules.Sum(r => r.Rules.Length)}");
        }

        _identities = new IdentitySet();
        for (var i = 0; i < Identities; i++)
        {
            _identities.AddEndpoint(LabelSet.Parse($"k8s:app=svc-{i % 500},k8s:pod=p{i},k8s:io.kubernetes.pod.namespace=shop"));
        }

        _endpoint = _identities.AddEndpoint(LabelSet.Parse("k8s:app=target,k8s:io.kubernetes.pod.namespace=shop"));
        _resolver = new PolicyResolver(_rules, _identities, _endpoint);
        _state = _resolver.State;
        _peer = _identities.Find(LabelSet.Parse("k8s:app=svc-1,k8s:pod=p1,k8s:io.kubernetes.pod.namespace=shop"))!;
        _state.Decide(TrafficDirection.Ingress, _peer.Id, IpProtocols.Icmp, 0x0800);
    }

    [Benchmark]
    public int ResolveEndpoint() => new PolicyResolver(_rules, _identities, _endpoint).State.Entries.Count;

    /// <summary>One new identity's delta, then its removal, so every invocation starts from the same state.</summary>
    [Benchmark]
    public int AddAndRemoveIdentity()
    {
        var identity = _identities.AddEndpoint(LabelSet.Parse($"k8s:app=svc-7,k8s:pod=new{_next++},k8s:io.kubernetes.pod.namespace=shop"));
        var added = _resolver.Apply(IdentityChange.Add(identity)).Added.Count;
        _identities.Remove(identity.Id);
        _resolver.Apply(IdentityChange.Remove(identity));
        return added;
    }

    [Benchmark]
    public bool VerdictLookup() => _state.Decide(TrafficDirection.Ingress, _peer.Id, IpProtocols.Icmp, 0x0800).IsAllowed;
}
