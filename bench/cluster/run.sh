#!/usr/bin/env bash
# Cluster mode's measures (issue 18), in one run on this machine: a real etcd and three ./membrane agents in cluster
# mode, each in a node namespace of the script's own on an underlay bridge (bench/Membrane.Cluster.Benchmarks):
#   1. policy import until enforced on every node, 1,000 rules (bench/agent/gen-policies.py);
#   2. propagation: N endpoints created round-robin on the three nodes, each from its create call's return until the
#      next node's kernel ipcache holds it (p50, p99, max); etcd's keys, bytes and writes per endpoint;
#   3. identity allocations per second, three nodes at once;
#   4. agent memory and ipcache use per 10,000 remote endpoints.
#
#   bench/cluster/run.sh [N] [REMOTE]     (defaults: 1,000 endpoints, 10,000 remote endpoints)
#
# Needs root, iproute2, python3, etcd (Debian's etcd-server) and the .NET SDK. Everything it makes is named mbrcb... and
# removed at the end.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 2; }
command -v etcd >/dev/null || { echo "needs etcd (apt-get install etcd-server)" >&2; exit 2; }
echo "building ./membrane (as it builds itself) and the benchmark" >&2
"$root/membrane" --help >/dev/null
work="$(mktemp -d /tmp/mbr-cluster-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT
python3 "$root/bench/agent/gen-policies.py" "$work/policies.yaml" 7000 100
export MBR_BENCH_ETCD="$(etcd --version | awk '/etcd Version/ {print $3}')"
dotnet run -c Release --project "$root/bench/Membrane.Cluster.Benchmarks" -- "$root/membrane" "${1:-1000}" "${2:-10000}" "$work/policies.yaml"
