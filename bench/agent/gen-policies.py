#!/usr/bin/env python3
"""Writes the policy-import benchmark's policies: N CiliumNetworkPolicies of 10 rules each (so 10*N rules), one of
them for the probe's server. The others select the benchmark endpoints by app label (svc0..svc24, as bench/agent/run.sh
labels them), and mix fromEndpoints with matchLabels and matchExpressions, toPorts (TCP, UDP, a port range), ICMP by
name, and egress rules; the server's policy allows the probe's UDP port from the client, plus ping.

    gen-policies.py OUT.yaml PROBE_PORT [N]     (default N 100: 1,000 rules)
"""
import sys

out, probe = sys.argv[1], int(sys.argv[2])
n = int(sys.argv[3]) if len(sys.argv) > 3 else 100
docs = []

def server(port):
    rules = [
        "  - fromEndpoints: [{matchLabels: {role: client}}]\n    toPorts: [{ports: [{port: \"%d\", protocol: UDP}]}]" % port,
        "  - fromEndpoints: [{matchLabels: {role: client}}]\n    icmps: [{fields: [{type: EchoRequest, family: IPv4}, {type: EchoRequest, family: IPv6}]}]",
    ]
    for j in range(8):
        rules.append("  - fromEndpoints: [{matchLabels: {app: svc%d}}]\n    toPorts: [{ports: [{port: \"%d\", protocol: TCP}]}]" % (j, 9000 + j))
    return ("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: bench-server, namespace: default}\n"
            "spec:\n  endpointSelector: {matchLabels: {role: server}}\n  ingress:\n" + "\n".join(rules) + "\n")

docs.append(server(probe))
for k in range(n - 1):
    app = k % 25
    peer = lambda j: "svc%d" % ((k + j) % 25)
    ingress = [
        "  - fromEndpoints: [{matchLabels: {app: %s}}]\n    toPorts: [{ports: [{port: \"%d\", protocol: TCP}]}]" % (peer(1), 8000 + k),
        "  - fromEndpoints: [{matchLabels: {app: %s, tier: t%d}}]\n    toPorts: [{ports: [{port: \"%d\", protocol: TCP}, {port: \"%d\", protocol: TCP}]}]" % (peer(2), k % 4, 443, 10000 + k),
        "  - fromEndpoints: [{matchExpressions: [{key: app, operator: In, values: [%s, %s]}]}]\n    toPorts: [{ports: [{port: \"%d\", endPort: %d, protocol: UDP}]}]" % (peer(3), peer(4), 20000 + 10 * k, 20009 + 10 * k),
        "  - fromEndpoints: [{matchLabels: {app: %s}}]\n    icmps: [{fields: [{type: EchoRequest, family: IPv4}, {type: EchoRequest, family: IPv6}]}]" % peer(5),
        "  - fromEndpoints: [{matchExpressions: [{key: tier, operator: NotIn, values: [t%d]}, {key: app, operator: Exists}]}]\n    toPorts: [{ports: [{port: \"%d\", protocol: TCP}]}]" % (k % 4, 30000 + k),
        "  - fromEndpoints: [{matchLabels: {app: %s}}]\n    toPorts: [{ports: [{port: \"%d\", protocol: SCTP}]}]" % (peer(6), 40000 + k),
        "  - fromEndpoints: [{matchLabels: {app: %s}}]\n    icmps: [{fields: [{type: Timestamp, family: IPv4}]}]" % peer(7),
    ]
    egress = [
        "  - toEndpoints: [{matchLabels: {app: %s}}]\n    toPorts: [{ports: [{port: \"53\", protocol: UDP}, {port: \"53\", protocol: TCP}]}]" % peer(8),
        "  - toEndpoints: [{matchLabels: {app: %s}}]\n    toPorts: [{ports: [{port: \"%d\", protocol: TCP}]}]" % (peer(9), 8000 + k),
        "  - toEndpoints: [{matchLabels: {app: %s}}]\n    icmps: [{fields: [{type: EchoRequest, family: IPv4}]}]" % peer(10),
    ]
    docs.append("apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: bench-%03d, namespace: default}\n"
                "spec:\n  endpointSelector: {matchLabels: {app: svc%d}}\n  ingress:\n%s\n  egress:\n%s\n"
                % (k, app, "\n".join(ingress), "\n".join(egress)))

with open(out, "w") as f:
    f.write("---\n".join(docs))
