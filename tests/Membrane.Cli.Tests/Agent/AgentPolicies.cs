namespace Membrane.Cli.Tests.Agent;

/// <summary>Policies the agent tests share.</summary>
public static class AgentPolicies
{
    /// <summary>db is default-deny for ingress and accepts IPv4 pings from web alone: web may ping it, other may not.</summary>
    public const string DbAcceptsIPv4PingFromWeb = """
        apiVersion: cilium.io/v2
        kind: CiliumNetworkPolicy
        metadata: {name: db, namespace: default}
        spec:
          endpointSelector: {matchLabels: {app: db}}
          ingress:
          - fromEndpoints: [{matchLabels: {app: web}}]
            icmps: [{fields: [{type: EchoRequest, family: IPv4}]}]
        """;
}
