#!/usr/bin/env bash
# The monitor under load (issue 17): events keep flowing to `membrane monitor` while a policy import regenerates every
# endpoint. One agent (--event-rate 50000) in a node namespace of the script's own, N endpoints, and a flood of UDP
# datagrams at RATE a second from one endpoint to another whose policy denies them (every datagram a drop, and so an
# event). A monitor counts the events it receives per 100 ms; after 3 s the script imports 10*POLICIES rules that
# select the N endpoints, and 3 s after the import returned it stops. Reported: the events per second received before,
# during and after the import (the lowest 100 ms window while the import ran, scaled to a second), and the datapath's
# counts of events lost (no room in the ring buffer) and suppressed (over the token bucket) over the run.
#
#   bench/agent/monitor.sh [N] [RATE] [POLICIES]     (defaults: 100 endpoints, 15000 datagrams a second, 100 policies)
#
# Needs root, iproute2, jq, python3 and the .NET SDK.
set -euo pipefail
source "$(dirname "$0")/../lib/agent.sh"
n=${1:-100}; rate=${2:-15000}; npol=${3:-100}
here="$root/bench/agent"
for t in jq python3; do command -v $t >/dev/null || { echo "needs $t" >&2; exit 2; }; done
bench_build
node=mbrbm1
BENCH_AGENT_FLAGS="--event-rate 50000" bench_agent $node 233
S=$bench_work/$node.sock
m() { "$mbr" "$@" --socket "$S"; }
labels() { echo "k8s:app=svc$(( $1 % 25 )),k8s:tier=t$(( $1 % 4 ))"; }

echo "creating $n endpoints" >&2
for i in $(seq "$n"); do m endpoint create "mbrb-m$i" --labels "$(labels "$i")" >/dev/null; done
sink=$(bench_ep "$S" mbrb-sink k8s:role=sink)
bench_ep "$S" mbrb-fld k8s:role=flood >/dev/null
cat >"$bench_work/sink.yaml" <<'YAML'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: bench-sink, namespace: default}
spec:
  endpointSelector: {matchLabels: {role: sink}}
  ingress:
  - fromEndpoints: [{matchLabels: {role: nobody}}]
YAML
m policy import "$bench_work/sink.yaml" >/dev/null
python3 "$here/gen-policies.py" "$bench_work/import.yaml" 6999 "$npol"

status() { m status -o json | jq -r "[.eventsLost, .eventsSuppressed] | @tsv"; }
read -r lost0 suppressed0 < <(status)
m monitor -o json | python3 "$here/count.py" "$bench_work/counts" &
monitor=$!; bench_pids+=("$monitor")
sleep 1
ip netns exec mbrb-fld python3 "$here/flood.py" "$sink" 7777 "$rate" 9 >"$bench_work/sent" &
flood=$!; bench_pids+=("$flood")
sleep 3
t0=$(now_us); m policy import "$bench_work/import.yaml" >/dev/null; t1=$(now_us)
wait "$flood"
sleep 0.5
read -r lost1 suppressed1 < <(status)
pkill -f "membrane monitor -o json --socket $S" || true
wait "$monitor" 2>/dev/null || true

python3 - "$bench_work/counts" "$t0" "$t1" "$(cat "$bench_work/sent")" "$rate" <<'PY'
import sys
counts = [tuple(map(int, l.split())) for l in open(sys.argv[1])]
t0, t1, sent, rate = int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
full = [(w, c) for w, c in counts if w + 100_000 <= t0 or w >= t1]   # whole windows outside the import
before = sorted(c * 10 for w, c in counts if t0 - 2_000_000 <= w and w + 100_000 <= t0)
during = [c * 10 for w, c in counts if w >= t0 - 100_000 and w < t1]
after = sorted(c * 10 for w, c in counts if t1 <= w < t1 + 2_000_000)
med = lambda xs: xs[len(xs) // 2] if xs else 0
print("datagrams sent: %d (%d a second asked)" % (sent, rate))
print("events received: %d" % sum(c for _, c in counts))
print("import call: %.0f ms" % ((t1 - t0) / 1000))
print("events/s before the import (median of 100 ms windows over 2 s): %d" % med(before))
print("events/s while the import ran (lowest 100 ms window of %d): %d" % (len(during), min(during) if during else 0))
print("events/s after the import (median over 2 s): %d" % med(after))
PY
echo "events lost over the run: $((lost1 - lost0))"
echo "events suppressed over the run: $((suppressed1 - suppressed0))"
