# Shared by bench/agent/run.sh and bench/traffic-vs-nftables/run.sh (sourced, not run).
# Starts `membrane agent` in a node namespace of the script's own, and removes everything on exit.
# Every namespace and link is named mbr...; pins go under /sys/fs/bpf/membrane-test only.

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mbr="$root/membrane"
bench_work="$(mktemp -d /tmp/mbr-bench.XXXXXX)"
bench_agents=()      # "PID NODE" of each agent started
bench_netns=()       # namespaces the script made itself (the agents remove their endpoints' own)
bench_pids=()        # other background processes the script started
bench_pinroots=()

[ "$(id -u)" = 0 ] || { echo "needs root" >&2; exit 2; }

bench_cleanup() {
  local rc=$?
  set +e
  for p in "${bench_pids[@]}"; do kill "$p" 2>/dev/null; done
  for a in "${bench_agents[@]}"; do
    local pid=${a% *}
    kill -TERM "$pid" 2>/dev/null          # a clean stop: the agent deletes its endpoints and their pins
    for _ in $(seq 600); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  # Whatever is left of ours: endpoints of a killed agent, namespaces made here.
  for ns in $(ip netns list | awk '{print $1}' | grep -E '^mbrb'); do ip netns del "$ns" 2>/dev/null; done
  for ns in "${bench_netns[@]}"; do ip netns del "$ns" 2>/dev/null; done
  for d in "${bench_pinroots[@]}"; do rm -rf "$d"; done
  rmdir /sys/fs/bpf/membrane-test 2>/dev/null
  rm -rf "$bench_work"
  exit $rc
}
trap bench_cleanup EXIT
trap 'exit 130' INT TERM

# The CLI, built as ./membrane does on first use.
bench_build() {
  echo "membrane: building as ./membrane does (Native AOT with clang, else ReadyToRun)" >&2
  "$mbr" --help >/dev/null
}

# bench_agent NODE OCTET [METRICS_PORT]: a node namespace NODE with an agent whose pools are 10.OCTET.0.0/16 and
# fd00:OCTET::/64; its socket is $bench_work/NODE.sock; its JSON log $bench_work/NODE.log. BENCH_AGENT_FLAGS adds
# flags to its command line.
bench_agent() {
  local node=$1 octet=$2 metrics=${3:-none}
  ip netns add "$node"; bench_netns+=("$node")
  ip -n "$node" link set lo up
  local pins=/sys/fs/bpf/membrane-test/$node
  bench_pinroots+=("$pins")
  local extra=()
  if "$mbr" agent --help 2>/dev/null | grep -q -- '--state-dir'; then
    mkdir -p "$bench_work/$node.state"; extra=(--state-dir "$bench_work/$node.state")
  fi
  [ "$metrics" = none ] || metrics="127.0.0.1:$metrics"
  nsenter --net=/run/netns/"$node" "$mbr" agent --socket "$bench_work/$node.sock" --bpffs-root "$pins" \
    --node-name "$node" --ipv4-pool "10.$octet.0.0/16" --ipv6-pool "fd00:$octet::/64" --metrics "$metrics" "${extra[@]}" ${BENCH_AGENT_FLAGS:-} \
    >"$bench_work/$node.log" 2>&1 &
  bench_agents+=("$! $node")
  for _ in $(seq 300); do
    "$mbr" status --socket "$bench_work/$node.sock" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "agent for $node did not come up; its log:" >&2; cat "$bench_work/$node.log" >&2; return 1
}

# bench_ep SOCKET NAME LABELS: creates an endpoint and prints its IPv4 address.
bench_ep() {
  "$mbr" endpoint create "$2" --labels "$3" --socket "$1" -o json | jq -r .ipv4
}

now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }   # microseconds, without a fork

median() { sort -n | awk '{a[NR]=$1} END {if (NR==0) print "nan"; else print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
