#!/usr/bin/env bash
# Where an endpoint creation and a policy import spend their time inside the agent, from strace's timestamps (strace
# slows every syscall it sees, so read the shares and the counts, not the totals). One agent in node mbrbn3; one
# endpoint created through the API (curl on the socket) under `strace -f -tt -T` of every agent thread; then 100
# endpoints, a client and a server, and the 1,000-rule import of bench/agent/run.sh under strace of bpf and the socket.
#
#   bench/agent/trace.sh        (root; needs strace, curl, jq, python3; KEEP_TRACES=PREFIX keeps the two traces)
set -euo pipefail
source "$(dirname "$0")/../lib/agent.sh"
here="$root/bench/agent"
command -v strace >/dev/null || { echo "needs strace" >&2; exit 2; }
bench_build
bench_agent mbrbn3 236
S=$bench_work/mbrbn3.sock
pid=$(pgrep -f "membrane agent --socket $S" | head -1)
threads() { ls "/proc/$pid/task" | paste -sd,; }
api() { curl -sf --unix-socket "$S" "$@" -o /dev/null; }
create() { api -X POST -H 'Content-Type: application/json' -d "{\"name\":\"$1\",\"labels\":\"$2\"}" http://agent/v1/endpoints; }
create mbrb-w k8s:app=w; api -X DELETE http://agent/v1/endpoints/mbrb-w     # warm

strace -f -tt -T -qq -p "$(threads)" -o "$bench_work/create.trace" 2>/dev/null & st=$!; bench_pids+=("$st")
sleep 2; create mbrb-t1 k8s:app=t; sleep 1; kill "$st"; wait "$st" 2>/dev/null || true
[ -z "${KEEP_TRACES:-}" ] || cp "$bench_work/create.trace" "$KEEP_TRACES.create"
echo "one endpoint create (under strace), from the request's accept to the response:"
awk '
  function t(s,  a) { split(s, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
  / accept4\(/ && !acc && $0 !~ /unfinished/ { acc = t($2) }
  / accept4\(/ && !acc { acc = t($2) }
  /unshare\(CLONE_NEWNET/ && !ns { ns = t($2) }
  /BPF_MAP_UPDATE_ELEM/ && !maps { maps = t($2) }
  /BPF_LINK_CREATE/ { match($0, /<[0-9.]+>$/); d = substr($0, RSTART + 1, RLENGTH - 2); links = links sprintf(" %.1f ms", d * 1000); lt += d }
  /BPF_OBJ_PIN/ { pin = t($2) }
  /HTTP\/1.1 201/ { resp = t($2) }
  END {
    printf "  total %.1f ms; namespace, veth, addresses and routes until the first map write %.1f ms;\n", (resp - acc) * 1000, (maps - ns) * 1000
    printf "  BPF_LINK_CREATE (tcx ingress, egress):%s, %.0f%% of the total; last pin to response %.1f ms\n", links, lt * 100 / (resp - acc), (resp - pin) * 1000
  }' "$bench_work/create.trace"

seq 1 100 | xargs -P 4 -I{} bash -c 'i={}; "$0" endpoint create "$(printf "mbrb-s%03d" "$i")" --labels "k8s:app=svc$((i % 25)),k8s:tier=t$((i % 4)),k8s:role=sample" --socket "$1" >/dev/null' "$mbr" "$S"
"$mbr" endpoint create mbrb-cli --labels k8s:role=client --socket "$S" >/dev/null
"$mbr" endpoint create mbrb-srv --labels k8s:role=server --socket "$S" >/dev/null
python3 "$here/gen-policies.py" "$bench_work/base.yaml" 6999 1
python3 "$here/gen-policies.py" "$bench_work/import.yaml" 7001 100
"$mbr" policy import "$bench_work/base.yaml" --socket "$S" >/dev/null
strace -f -tt -T -qq -e trace=accept4,recvmsg,sendto,bpf -p "$(threads)" -o "$bench_work/import.trace" 2>/dev/null & st=$!; bench_pids+=("$st")
sleep 2; "$mbr" policy import "$bench_work/import.yaml" --socket "$S" >/dev/null; sleep 1; kill "$st"; wait "$st" 2>/dev/null || true
[ -z "${KEEP_TRACES:-}" ] || cp "$bench_work/import.trace" "$KEEP_TRACES.import"
echo "policy import of 1,000 rules with 102 endpoints (under strace):"
awk '
  function t(s,  a) { split(s, a, ":"); return a[1] * 3600 + a[2] * 60 + a[3] }
  /POST \/v1\/policies/ && !req { req = t($2) }
  req && /recvmsg\(/ && !/MSG_PEEK/ && !/EAGAIN/ && !upd { body = t($2) }
  req && /BPF_MAP_UPDATE_ELEM/ { if (!upd) first = t($2); upd++; last = t($2); match($0, /map_fd=[0-9]+/); fd[substr($0, RSTART + 7, RLENGTH - 7)]++ }
  req && /BPF_MAP_DELETE_ELEM/ { del++ }
  /HTTP\/1.1 200/ && req && !resp { resp = t($2) }
  END {
    printf "  body read to first map write %.0f ms; %d BPF_MAP_UPDATE_ELEM (per map:", (first - body) * 1000, upd
    for (f in fd) printf " fd %s: %d", f, fd[f]; printf "), %d deletes, over %.0f ms; last write to response %.1f ms\n", del, (last - first) * 1000, (resp - last) * 1000
  }' "$bench_work/import.trace"
# One more endpoint, with the 1,000 rules and 102 endpoints in place: how many map writes its creation makes.
strace -f -tt -T -qq -e trace=accept4,recvmsg,sendto,bpf -p "$(threads)" -o "$bench_work/late.trace" 2>/dev/null & st=$!; bench_pids+=("$st")
sleep 2; create mbrb-late "k8s:app=svc3,k8s:tier=t1,k8s:role=sample"; sleep 1; kill "$st"; wait "$st" 2>/dev/null || true
[ -z "${KEEP_TRACES:-}" ] || cp "$bench_work/late.trace" "$KEEP_TRACES.late"
echo "one endpoint create with the 1,000 rules and 102 endpoints in place (under strace):"
awk '/BPF_MAP_UPDATE_ELEM/ {upd++; match($0, /map_fd=[0-9]+/); fd[substr($0, RSTART + 7, RLENGTH - 7)]++} /BPF_MAP_DELETE_ELEM/ {del++}
  END {printf "  %d BPF_MAP_UPDATE_ELEM (per map:", upd; for (f in fd) printf " fd %s: %d", f, fd[f]; printf "), %d deletes\n", del}' "$bench_work/late.trace"
entries=$("$mbr" bpf policy get mbrb-s001 --socket "$S" -o json | jq length)
echo "(the live policy map of mbrb-s001: $entries entries; load average: $(cut -d' ' -f1-3 /proc/loadavg))"
