using System.Text;
using Membrane.Policy.Validation;

namespace Membrane.Benchmarks;

/// <summary>
/// Writes realistic policies for benchmarks: selectors, ports, ICMP rules with names and codes,
/// CIDR sets and deny sections, spread over files of many documents, as users keep them.
/// </summary>
public static class PolicyCorpusGenerator
{
    public static List<PolicyText> Generate(int policies, int perFile)
    {
        var files = new List<PolicyText>();
        var text = new StringBuilder();
        for (var i = 0; i < policies; i++)
        {
            text.Append($"""
                ---
                apiVersion: cilium.io/v2
                kind: CiliumNetworkPolicy
                metadata:
                  name: policy-{i}
                  namespace: team-{i % 50}
                spec:
                  description: "generated policy {i}"
                  endpointSelector:
                    matchLabels:
                      app: svc-{i}
                      tier: backend
                  ingress:
                  - fromEndpoints:
                    - matchLabels:
                        app: svc-{i + 1}
                    - matchExpressions:
                      - {"{"}key: env, operator: In, values: [prod, staging]{"}"}
                    toPorts:
                    - ports:
                      - {"{"}port: "{8000 + (i % 1000)}", protocol: TCP{"}"}
                      - {"{"}port: "9000", endPort: 9100, protocol: TCP{"}"}
                  - fromEndpoints:
                    - matchLabels:
                        app: svc-{i + 1}
                    icmps:
                    - fields:
                      - {"{"}type: EchoRequest{"}"}
                      - {"{"}type: EchoRequest, family: IPv6{"}"}
                      - {"{"}type: 3, code: frag-needed{"}"}
                      - {"{"}type: PacketTooBig, family: IPv6{"}"}
                  egress:
                  - toCIDRSet:
                    - cidr: 10.{i % 256}.0.0/16
                      except: [10.{i % 256}.1.0/24]
                    toPorts:
                    - ports: [{"{"}port: "53", protocol: UDP{"}"}]
                  egressDeny:
                  - toEntities: [world]
                    icmps:
                    - fields: [{"{"}type: timestamp-request{"}"}]

                """);
            if ((i + 1) % perFile == 0 || i == policies - 1)
            {
                files.Add(new PolicyText($"policies-{files.Count}.yaml", text.ToString()));
                text.Clear();
            }
        }

        return files;
    }
}
