#!/usr/bin/env bash
# A burst of policy imports (issue 17): K clients import at once, against the same K imports made one after another,
# on one agent with N endpoints, side by side in each round. The regenerator makes imports that queued up behind
# another as one batch, regenerating every endpoint once; the agent's metrics count the regenerations and batches.
# The policies are gen-policies.py's (10 rules each, selecting the endpoints), split into K files of P policies.
# Between the two measures every policy is deleted, so each measure makes the same change from the same state.
#
#   bench/agent/burst.sh [ROUNDS] [N] [K] [P]     (defaults: 3 rounds, 100 endpoints, 20 imports, 5 policies each)
#
# Needs root, iproute2, curl, jq, python3 and the .NET SDK.
set -euo pipefail
source "$(dirname "$0")/../lib/agent.sh"
rounds=${1:-3}; n=${2:-100}; k=${3:-20}; p=${4:-5}
here="$root/bench/agent"
for t in jq python3 curl; do command -v $t >/dev/null || { echo "needs $t" >&2; exit 2; }; done
bench_build
node=mbrbb1
bench_agent $node 234 9971
S=$bench_work/$node.sock
m() { "$mbr" "$@" --socket "$S"; }
metric() { ip netns exec $node curl -s 127.0.0.1:9971/metrics | awk -v name="$1" '$1 == name {print $2}'; }

echo "creating $n endpoints" >&2
for i in $(seq "$n"); do m endpoint create "mbrb-b$i" --labels "k8s:app=svc$(( i % 25 )),k8s:tier=t$(( i % 4 ))" >/dev/null; done

# K files of P policies each (gen-policies.py's server policy is left out: there is no server here).
python3 "$here/gen-policies.py" "$bench_work/all.yaml" 7000 $(( k * p + 1 ))
python3 - "$bench_work/all.yaml" "$bench_work" "$k" "$p" <<'PY'
import sys
docs = [d for d in open(sys.argv[1]).read().split("\n---\n") if d.strip()][1:]
k, p = int(sys.argv[3]), int(sys.argv[4])
for i in range(k):
    open(f"{sys.argv[2]}/burst{i}.yaml", "w").write("\n---\n".join(docs[i * p:(i + 1) * p]) + "\n")
PY

measure() {   # measure sequential|burst: prints wall ms, regenerations, changes, batches
  local mode=$1 r0 c0 b0 t0 t1
  r0=$(metric membrane_regeneration_seconds_count); c0=$(metric membrane_policy_changes_total); b0=$(metric membrane_policy_batches_total)
  t0=$(now_us)
  if [ "$mode" = sequential ]; then
    for i in $(seq 0 $(( k - 1 ))); do m policy import "$bench_work/burst$i.yaml" >/dev/null; done
  else
    pids=()
    for i in $(seq 0 $(( k - 1 ))); do m policy import "$bench_work/burst$i.yaml" >/dev/null & pids+=($!); done
    for pid in "${pids[@]}"; do wait "$pid"; done
  fi
  t1=$(now_us)
  local held; held=$(m policy get -o json | jq '.policies | length')
  [ "$held" = $(( k * p )) ] || { echo "$held policies held after the $mode imports, not $(( k * p ))" >&2; exit 1; }
  echo "$(( (t1 - t0) / 1000 )) $(( $(metric membrane_regeneration_seconds_count) - r0 )) $(( $(metric membrane_policy_changes_total) - c0 )) $(( $(metric membrane_policy_batches_total) - b0 ))"
  m policy delete --all >/dev/null
}

: >"$bench_work/results"
for r in $(seq "$rounds"); do
  echo "round $r" >&2
  line=$(measure sequential); echo "sequential $line" >>"$bench_work/results"
  line=$(measure burst); echo "burst $line" >>"$bench_work/results"
done

echo "$k imports of $p policies ($(( p * 10 )) rules) each, $n endpoints, $rounds rounds (wall ms, regenerations, changes, batches):"
for mode in sequential burst; do
  grep "^$mode " "$bench_work/results" | awk -v mode="$mode" '{w = w sep $2; g = g sep $3; c = c sep $4; b = b sep $5; sep = ", "} END {printf "  %-10s wall %s ms; regenerations %s; changes %s; batches %s\n", mode, w, g, c, b}'
  echo "  $mode median wall: $(grep "^$mode " "$bench_work/results" | awk '{print $2}' | median) ms"
done
