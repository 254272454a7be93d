#!/usr/bin/env bash
# Endpoint creation through the API alone (curl on the socket, no CLI process): N creates one after another against
# N creates P at a time, then the deletes, side by side in each round. Since issue 17 a create makes its network and
# links outside the regenerator (several at once) and only its identity and policy in it; this shows what that buys.
#
#   bench/agent/create-parallel.sh [ROUNDS] [N] [P]     (defaults: 3 rounds, 100 endpoints, 4 at a time)
#
# Needs root, iproute2, curl, jq and the .NET SDK.
set -euo pipefail
source "$(dirname "$0")/../lib/agent.sh"
rounds=${1:-3}; n=${2:-100}; p=${3:-4}
command -v curl >/dev/null || { echo "needs curl" >&2; exit 2; }
bench_build
node=mbrbp1
bench_agent $node 236
S=$bench_work/$node.sock
create() { curl -sf --unix-socket "$S" -X POST http://membrane/v1/endpoints -H 'content-type: application/json' \
  -d "{\"name\": \"$1\", \"labels\": \"k8s:app=svc$(( ${1#mbrb-p} % 25 ))\"}" >/dev/null || { echo "create $1 failed" >&2; exit 1; }; }
delete() { curl -sf --unix-socket "$S" -X DELETE "http://membrane/v1/endpoints/$1" >/dev/null || { echo "delete $1 failed" >&2; exit 1; }; }
export -f create delete; export S

: >"$bench_work/results"
for r in $(seq "$rounds"); do
  echo "round $r" >&2
  t0=$(now_us); for i in $(seq "$n"); do create "mbrb-p$i"; done; t1=$(now_us)
  echo "sequential $(( (t1 - t0) / 1000 ))" >>"$bench_work/results"
  t0=$(now_us); for i in $(seq "$n"); do delete "mbrb-p$i"; done; t1=$(now_us)
  echo "deletes $(( (t1 - t0) / 1000 ))" >>"$bench_work/results"
  t0=$(now_us); seq "$n" | xargs -P "$p" -I{} bash -c 'create mbrb-p{}'; t1=$(now_us)
  echo "parallel $(( (t1 - t0) / 1000 ))" >>"$bench_work/results"
  seq "$n" | xargs -P "$p" -I{} bash -c 'delete mbrb-p{}'
done

echo "$n endpoints through the API (curl), $rounds rounds: wall ms each round, then the median"
for what in sequential parallel deletes; do
  printf '  %-10s %s; median %s ms\n' "$what" "$(grep "^$what " "$bench_work/results" | awk '{printf "%s%s", sep, $2; sep = ", "}')" "$(grep "^$what " "$bench_work/results" | awk '{print $2}' | median)"
done
