#!/usr/bin/env bash
# What an idle agent costs: CPU time per second of an agent holding N endpoints with no traffic and no calls, which is
# its background work (the pin checks every --pin-check-interval, garbage collection every 30 s). Two agents side by
# side in one run, one checking its pins every second (the default) and one every hour, each in a node namespace of
# the script's own (mbrbi1, mbrbi2); their CPU time (utime + stime, /proc/PID/stat) is sampled over SECONDS seconds,
# ROUNDS times, alternating. Everything the script makes is removed on exit.
#
#   bench/agent/idle.sh [N] [SECONDS] [ROUNDS]     (defaults: 100 endpoints, 30 s, 3 rounds)
#
# Needs root, iproute2, jq and the .NET SDK.
set -euo pipefail
source "$(dirname "$0")/../lib/agent.sh"
n=${1:-100}; seconds=${2:-30}; rounds=${3:-3}
command -v jq >/dev/null || { echo "needs jq" >&2; exit 2; }
bench_build
BENCH_AGENT_FLAGS="--pin-check-interval 1" bench_agent mbrbi1 232
BENCH_AGENT_FLAGS="--pin-check-interval 3600" bench_agent mbrbi2 233
ticks=$(getconf CLK_TCK)
pid_of() { for a in "${bench_agents[@]}"; do if [ "${a#* }" = "$1" ]; then echo "${a% *}"; fi; done; }
# The agent is nsenter's child (nsenter execs it, so the PID is the agent's own).
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
for node in mbrbi1 mbrbi2; do
  echo "creating $n endpoints on $node" >&2
  for i in $(seq "$n"); do
    "$mbr" endpoint create "mbrb-${node: -1}-$i" --labels "k8s:app=idle$((i % 10))" --socket "$bench_work/$node.sock" >/dev/null
  done
done
declare -A samples
for r in $(seq "$rounds"); do
  for node in mbrbi1 mbrbi2; do
    pid=$(pid_of $node); before=$(cpu "$pid"); sleep "$seconds"; after=$(cpu "$pid")
    ms=$(awk -v b="$before" -v a="$after" -v t="$ticks" -v s="$seconds" 'BEGIN {printf "%.2f", (a - b) * 1000 / t / s}')
    echo "round $r, $node: $ms ms of CPU per second" >&2
    samples[$node]+="$ms "
  done
done
printf '%-58s %s\n' "measure ($n endpoints, medians of $rounds rounds of $seconds s)" "CPU per second"
printf '%-58s %s ms\n' "idle agent, pins checked every second (default)" "$(echo ${samples[mbrbi1]} | tr ' ' '\n' | median)"
printf '%-58s %s ms\n' "idle agent, pins checked every hour" "$(echo ${samples[mbrbi2]} | tr ' ' '\n' | median)"
echo "($(nproc) cores; $(uname -r); load average: $(cut -d' ' -f1-3 /proc/loadavg))"
