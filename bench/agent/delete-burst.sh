#!/usr/bin/env bash
# Endpoint deletes through the API alone (curl, each call timed with %{time_total}): 100 endpoints deleted back to
# back, then 100 deleted 200 ms apart, and, for the kernel's part, `ip link set down` of 100 such host veths back to
# back with no agent involved (each followed by its namespace's delete, as the old delete did). The kernel tears a
# deleted namespace's veth down behind the call, under its RTNL lock, for tens of milliseconds per veth with two tcx
# links; back-to-back deletes show whether anything in a delete waits for that lock.
#
#   bench/agent/delete-burst.sh
#
# Needs root, iproute2, curl, jq and the .NET SDK.
set -euo pipefail
source "$(dirname "$0")/../lib/agent.sh"
command -v curl >/dev/null || { echo "needs curl" >&2; exit 2; }
bench_build
node=mbrbd2
bench_agent $node 238
S=$bench_work/$node.sock
mk() { for i in $(seq 100); do curl -sf --unix-socket "$S" -X POST http://membrane/v1/endpoints -H 'content-type: application/json' -d "{\"name\": \"mbrb-e$i\", \"labels\": \"k8s:app=svc$(( i % 25 ))\"}" >/dev/null; done; }
stats() { sort -n | awk '{a[NR]=$1*1000; s+=$1*1000} END {printf "sum %.0f ms, median %.1f, p90 %.1f, max %.1f ms\n", s, a[int(NR/2)], a[int(NR*0.9)], a[NR]}'; }
mk
echo -n "back to back:        "; for i in $(seq 100); do curl -sf -o /dev/null -w '%{time_total}\n' --unix-socket "$S" -X DELETE "http://membrane/v1/endpoints/mbrb-e$i"; done | stats
sleep 3; mk
echo -n "200 ms apart:        "; for i in $(seq 100); do curl -sf -o /dev/null -w '%{time_total}\n' --unix-socket "$S" -X DELETE "http://membrane/v1/endpoints/mbrb-e$i"; sleep 0.2; done | stats
sleep 3; mk
echo -n "ip link set down only (no agent), back to back: "
for i in $(seq 100); do h=$(curl -sf --unix-socket "$S" http://membrane/v1/endpoints/mbrb-e$i | jq -r .hostInterface); ip netns exec $node bash -c "s=\$EPOCHREALTIME; ip link set $h down; e=\$EPOCHREALTIME; echo \$(( (\${e/./} - \${s/./}) ))e-6"; ip netns del mbrb-e$i; done | awk '{print $1+0}' | stats
