#!/usr/bin/env bash
# The agent's own measures (issue 11), on real namespaces, veths and packets, with one agent in a node namespace of
# the script's own (mbrbn1):
#   1. endpoint creation, from the CLI call to its return (when it returns the endpoint's programs are attached and
#      its policy is in the maps; checked on samples with real pings right after the call): one endpoint on an idle
#      agent, N endpoints with sequential calls, and N with PARALLEL calls at a time;
#   2. policy import to enforced, with N endpoints and 10*POLICIES rules: a prober in a client endpoint sends a UDP
#      datagram every millisecond to a server endpoint, denied before the import and allowed by it; the server
#      records the first arrival; reported: the import call's duration and (first arrival) - (import return).
# Rounds interleave the measures; medians are reported. Everything the script makes is removed on exit.
#
#   bench/agent/run.sh [ROUNDS] [N] [PARALLEL] [POLICIES]     (defaults: 3 rounds, 100 endpoints, 4, 100 policies)
#
# Needs root, iproute2, iputils-ping, jq, python3, curl and the .NET SDK.
set -euo pipefail
source "$(dirname "$0")/../lib/agent.sh"
rounds=${1:-3}; n=${2:-100}; par=${3:-4}; npol=${4:-100}
here="$root/bench/agent"
for t in jq python3 curl ping; do command -v $t >/dev/null || { echo "needs $t" >&2; exit 2; }; done
bench_build
node=mbrbn1
bench_agent $node 231 9962
S=$bench_work/$node.sock
m() { "$mbr" "$@" --socket "$S"; }
regen() { nsenter --net=/run/netns/$node curl -s 127.0.0.1:9962/metrics | awk '/^membrane_regeneration_seconds_(sum|count)/ {printf "%s ", $2}'; }
out=$bench_work/results; : >"$out"
rec() { echo "$*" >>"$out"; }
fail() { echo "FAILED: $*" >&2; exit 1; }
labels() { echo "k8s:app=svc$(( $1 % 25 )),k8s:tier=t$(( $1 % 4 )),k8s:role=sample"; }

# Enforcement checks: the sample policy selects role=sample and lets role=prober ping it, nothing else.
cat >"$bench_work/sample.yaml" <<'YAML'
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: bench-sample, namespace: default}
spec:
  endpointSelector: {matchLabels: {role: sample}}
  ingress:
  - fromEndpoints: [{matchLabels: {role: prober}}]
    icmps: [{fields: [{type: EchoRequest, family: IPv4}]}]
YAML
# check NAME IP: right after NAME was created, an allowed ping passes and a denied one fails.
checks=0
check() {
  ip netns exec mbrb-good ping -c1 -W1 -q "$2" >/dev/null 2>&1 || fail "allowed ping to just-created $1 ($2) did not pass"
  ! ip netns exec mbrb-bad ping -c1 -W1 -q "$2" >/dev/null 2>&1 || fail "denied ping to just-created $1 ($2) passed"
  checks=$((checks + 1))
}

echo "1. endpoint creation" >&2
# The floor: one CLI call to the agent that does nothing (process start, socket, JSON).
for _ in $(seq 5); do t0=$(now_us); m status >/dev/null; t1=$(now_us); rec "status_ms $(( (t1 - t0) / 1000 ))"; done
# One endpoint on an idle agent (no policy, no other endpoint), created and deleted again.
for _ in $(seq 5); do
  t0=$(now_us); m endpoint create mbrb-one --labels k8s:app=one >/dev/null; t1=$(now_us)
  m endpoint delete mbrb-one >/dev/null; t2=$(now_us)
  rec "one_create_ms $(( (t1 - t0) / 1000 ))"; rec "one_delete_ms $(( (t2 - t1) / 1000 ))"
done
# The same through the API alone (curl on the unix socket): what the agent takes, without the CLI's process.
api() { curl -sf --unix-socket "$S" "$@" -o /dev/null; }
for _ in $(seq 5); do
  t0=$(now_us); api http://agent/v1/status; t1=$(now_us)
  api -X POST -H 'Content-Type: application/json' -d '{"name":"mbrb-one","labels":"k8s:app=one"}' http://agent/v1/endpoints; t2=$(now_us)
  api -X DELETE http://agent/v1/endpoints/mbrb-one; t3=$(now_us)
  rec "api_status_ms $(( (t1 - t0) / 1000 ))"; rec "api_create_ms $(( (t2 - t1) / 1000 ))"; rec "api_delete_ms $(( (t3 - t2) / 1000 ))"
done
m policy import "$bench_work/sample.yaml" >/dev/null
good=$(bench_ep "$S" mbrb-good k8s:role=prober); bad=$(bench_ep "$S" mbrb-bad k8s:role=intruder)
# One endpoint with the sample policy and two endpoints in place, checked at once.
for _ in $(seq 5); do
  t0=$(now_us); ip=$(bench_ep "$S" mbrb-one k8s:role=sample); t1=$(now_us); check mbrb-one "$ip"
  m endpoint delete mbrb-one >/dev/null
  rec "one_policy_create_ms $(( (t1 - t0) / 1000 ))"
done

create_seq() {  # N sequential calls; each timed; samples checked between calls (not timed)
  local total=0 i t0 t1 ip
  for i in $(seq 1 "$n"); do
    t0=$(now_us); ip=$(bench_ep "$S" "$(printf 'mbrb-s%03d' "$i")" "$(labels "$i")"); t1=$(now_us)
    total=$((total + t1 - t0)); rec "seq_call_ms $i $(( (t1 - t0) / 1000 ))"
    if [ "$i" = 1 ] || [ "$i" = $((n / 2)) ] || [ "$i" = "$n" ]; then check "mbrb-s$i" "$ip"; fi
  done
  rec "seq_total_ms $((total / 1000))"
}
create_par() {  # N calls, PARALLEL at a time, timed as a whole
  local t0 t1
  t0=$(now_us)
  seq 1 "$n" | xargs -P "$par" -I{} bash -c 'i={}; "$0" endpoint create "$(printf "mbrb-s%03d" "$i")" --labels "k8s:app=svc$((i % 25)),k8s:tier=t$((i % 4)),k8s:role=sample" --socket "$1" >/dev/null' "$mbr" "$S" \
    || fail "a parallel endpoint create failed"
  t1=$(now_us)
  rec "par_total_ms $(( (t1 - t0) / 1000 ))"
  [ "$(m endpoint list -o json | jq '[.[] | select(.name | startswith("mbrb-s"))] | length')" = "$n" ] || fail "not $n endpoints after the parallel creates"
  check mbrb-s$(printf %03d "$n") "$(m endpoint get "$(printf 'mbrb-s%03d' "$n")" -o json | jq -r .ipv4)"
}
delete_all() {
  local t0 t1 i
  t0=$(now_us)
  for i in $(seq 1 "$n"); do m endpoint delete "$(printf 'mbrb-s%03d' "$i")" >/dev/null; done
  t1=$(now_us); rec "delete_total_ms $(( (t1 - t0) / 1000 ))"
}
for r in $(seq "$rounds"); do
  echo "   round $r: $n sequential creates" >&2
  a=$(regen); create_seq; b=$(regen); rec "seq_regen $a $b"
  # A new peer is in every endpoint's policy when its call returns: a new prober pings the first endpoint at once.
  m endpoint create mbrb-late --labels k8s:role=prober >/dev/null
  ip netns exec mbrb-late ping -c1 -W1 -q "$(m endpoint get mbrb-s001 -o json | jq -r .ipv4)" >/dev/null 2>&1 || fail "a just-created peer was not allowed at once"
  m endpoint delete mbrb-late >/dev/null
  delete_all
  echo "   round $r: $n creates, $par at a time" >&2
  a=$(regen); create_par; b=$(regen); rec "par_regen $a $b"
  [ "$r" = "$rounds" ] || delete_all
done

echo "2. policy import to enforced ($((npol * 10)) rules, $n endpoints)" >&2
cli=$(bench_ep "$S" mbrb-cli k8s:role=client); srv=$(bench_ep "$S" mbrb-srv k8s:role=server)
for r in $(seq "$rounds"); do
  port=$((7000 + r))
  m policy delete --all >/dev/null
  python3 "$here/gen-policies.py" "$bench_work/base.yaml" 6999 1       # the server's policy alone: the probe's port is denied
  m policy import "$bench_work/base.yaml" >/dev/null
  python3 "$here/gen-policies.py" "$bench_work/import.yaml" "$port" "$npol"
  rm -f "$bench_work/first"
  ip netns exec mbrb-srv python3 "$here/probe.py" recv "$port" "$bench_work/first" & recv=$!
  ip netns exec mbrb-cli python3 "$here/probe.py" send "$srv" "$port" & send=$!
  bench_pids+=("$recv" "$send")
  sleep 2
  [ ! -s "$bench_work/first" ] || fail "the probe's flow passed before the import"
  a=$(regen)
  t0=$(now_us); m policy import "$bench_work/import.yaml" >/dev/null; t1=$(now_us)
  b=$(regen)
  for _ in $(seq 100); do [ -s "$bench_work/first" ] && break; sleep 0.05; done
  kill "$send" 2>/dev/null; wait "$send" 2>/dev/null || true
  [ -s "$bench_work/first" ] || { kill "$recv" 2>/dev/null; fail "no datagram arrived within 5 s of the import"; }
  wait "$recv" 2>/dev/null || true
  first=$(cut -d' ' -f1 "$bench_work/first")
  rec "import_ms $(( (t1 - t0) / 1000 ))"
  rec "import_first_after_return_ms $(awk -v f="$first" -v t="$t1" 'BEGIN {printf "%.1f", (f - t) / 1000}')"
  rec "import_regen $a $b"
done
# N more endpoints, sequential calls, with the 1,000 rules in place (each creation regenerates every endpoint).
m policy import "$bench_work/sample.yaml" >/dev/null
echo "3. $n more endpoints, sequential calls, with the $((npol * 10)) rules in place" >&2
total=0
for i in $(seq 1 "$n"); do
  a=$(regen); t0=$(now_us); ip=$(bench_ep "$S" "$(printf 'mbrb-x%03d' "$i")" "$(labels "$i")"); t1=$(now_us); b=$(regen)
  total=$((total + t1 - t0)); rec "rules_create_ms $(( (t1 - t0) / 1000 ))"; rec "rules_create_regen $a $b"
  if [ "$i" = 1 ] || [ "$i" = "$n" ]; then check "mbrb-x$i" "$ip"; fi
done
rec "rules_total_ms $((total / 1000))"
# Where an import's time goes, besides regeneration: the same file validated offline by the CLI (a process of its own).
for _ in 1 2 3; do t0=$(now_us); "$mbr" policy validate "$bench_work/import.yaml" >/dev/null; t1=$(now_us); rec "validate_ms $(( (t1 - t0) / 1000 ))"; done
entries=$(m bpf policy get mbrb-s001 -o json | jq 'length' 2>/dev/null || echo '?')

# The table.
get() { awk -v k="$1" '$1 == k {print $NF}' "$out"; }
regen_ms() { awk -v k="$1" '$1 == k {s += ($4 - $2); c += ($5 - $3); r++} END {if (c) printf "%.1f ms in %d regenerations (%.2f ms each), mean of %d", s * 1000 / r, c / r, s * 1000 / c, r; else print "-"}' "$out"; }
seqcalls=$(awk '$1 == "seq_call_ms" {print $3}' "$out")
echo
printf '%-58s %12s %10s\n' measure median goal
printf '%-58s %10s ms\n' "CLI call that does nothing (status)" "$(get status_ms | median)"
printf '%-58s %10s ms\n' "one endpoint, idle agent" "$(get one_create_ms | median)"
printf '%-58s %10s ms\n' "  the same through the API alone (curl): status / create / delete" "$(get api_status_ms | median) / $(get api_create_ms | median) / $(get api_delete_ms | median)"
printf '%-58s %10s ms\n' "one endpoint delete, idle agent" "$(get one_delete_ms | median)"
printf '%-58s %10s ms\n' "one endpoint, with a policy selecting it (checked)" "$(get one_policy_create_ms | median)"
printf '%-58s %10s ms %10s\n' "$n endpoints, sequential calls (sum of calls)" "$(get seq_total_ms | median)" "<= 10000"
printf '%-58s %10s\n' "  slowest call of each round (ms)" "$(awk '$1 == "seq_call_ms" {if ($2 == 1) r++; if ($3 > max[r]) max[r] = $3} END {for (i = 1; i <= r; i++) printf "%s%s", (i > 1 ? " / " : ""), max[i]}' "$out")"
printf '%-58s %10s ms\n' "  call 1 / $((n / 2)) / $n of the sequence, each round" "$(awk -v n="$n" '$1 == "seq_call_ms" && ($2 == 1 || $2 == int(n / 2) || $2 == n) {a[$2] = a[$2] " " $3} END {print a[1] " /" a[int(n/2)] " /" a[n]}' "$out")"
printf '%-58s %10s ms %10s\n' "$n endpoints, $par calls at a time (wall)" "$(get par_total_ms | median)" "<= 10000"
printf '%-58s %10s ms\n' "$n endpoint deletes, sequential" "$(get delete_total_ms | median)"
printf '%-58s %10s ms\n' "policy import call, $((npol * 10)) rules, $((n + 2)) endpoints" "$(get import_ms | median)"
printf '%-58s %10s ms %10s\n' "first allowed datagram after the import returned" "$(get import_first_after_return_ms | median)" "<= 1000"
echo "agent regeneration (metrics), per sequential round of $n creates: $(regen_ms seq_regen)"
echo "agent regeneration (metrics), per parallel round: $(regen_ms par_regen)"
printf '%-58s %10s ms\n' "one endpoint, with the $((npol * 10)) rules in place (median call)" "$(get rules_create_ms | median)"
printf '%-58s %10s ms\n' "$n more endpoints, sequential, with the rules (sum of calls)" "$(get rules_total_ms)"
printf '%-58s %10s ms\n' "the import's file validated offline (policy validate)" "$(get validate_ms | median)"
echo "agent regeneration (metrics), per import: $(regen_ms import_regen)"
echo "agent regeneration (metrics), per creation with the $((npol * 10)) rules: $(regen_ms rules_create_regen)"
echo "every value: $(grep -v -e '^seq_call_ms' -e '^rules_create' "$out" | tr '\n' ';')"
echo "(medians of $rounds rounds ($n creations for the one with the rules); $checks just-created endpoints checked with an allowed and a denied ping, all as expected;"
echo " mbrb-s001's live policy map: $entries entries; $(nproc) cores; $(uname -r); load average: $(cut -d' ' -f1-3 /proc/loadavg))"
