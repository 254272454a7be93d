#!/usr/bin/env bash
# Real traffic between two endpoints, client and server, through a node, in one run (issue 11): Membrane against no
# filter and against nftables. Every configuration has the same shape, endpoint namespace - veth - node namespace -
# veth - endpoint namespace, routed through the node as the agent builds it (a /32 on each endpoint's eth0, a route to
# the gateway on the host side, a /32 route per endpoint in the node, forwarding on):
#   none          a plain topology made with ip commands, the same addresses and routes as the agent's: no filter
#   mbr-nopolicy  the agent's endpoints, programs attached, no policy selecting either endpoint (allow-all path)
#   mbr-10        the agent's endpoints; the server's ingress: 10 rules from the client (UDP ports, TCP 5201, ping)
#   mbr-10000     the same with 10,000 rules (9,997 other UDP ports): 10,000 policy map entries for the server
#   nft-10        the plain topology; the node's forward hook: ct established,related accept, 10 rules, drop
#   nft-10000     the same with 10,000 linear rules `ip saddr CLIENT udp dport N accept`, the benchmark's last
#   nft-set       the same with a set: `ip saddr CLIENT udp dport @ports accept` over the 10,000 ports
# Each node is a namespace of its own (one agent per Membrane configuration, one plain node for no filter and one for
# nftables, whose ruleset is swapped). Measures: UDP request/response transactions per second (sockperf ping-pong:
# one message outstanding at a time, for DURATION s), ping -f round-trip time (COUNT echoes) and TCP throughput
# (iperf3, DURATION s). Each repetition takes each measure in turn and, within it, every configuration, starting one
# further along each time, so machine drift cancels; medians, and the median of each repetition's ratio to no filter,
# are reported. Clients and servers all run on CPU 1 (taskset) in
# every configuration, so that the scheduler's placement does not differ between them (across two CPUs, a transaction
# is dominated by cross-CPU wake-ups and the spread between runs was several times larger).
#
#   bench/traffic-vs-nftables/run.sh [REPS] [DURATION] [COUNT]      (defaults: 10 repetitions, 2 s, 10000 echoes)
#
# Needs root, iproute2, iputils-ping, nftables, jq, python3 and the .NET SDK; installs iperf3 and sockperf if missing.
set -euo pipefail
source "$(dirname "$0")/../lib/agent.sh"
reps=${1:-10}; dur=${2:-2}; count=${3:-10000}
for p in iperf3 sockperf; do
  command -v $p >/dev/null || { echo "installing $p" >&2; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $p >/dev/null; }
done
for t in jq python3 nft ping; do command -v $t >/dev/null || { echo "needs $t" >&2; exit 2; }; done
bench_build

# Ports: sockperf UDP 11111, iperf3 TCP 5201; the filler UDP ports start at 20000.
udp_port=11111; tcp_port=5201
fillers() { seq 20000 $((20000 + $1 - 1)); }

# The Membrane policy for the server: N rules, all from the client, the benchmark's three last.
membrane_policy() {  # N FILE
  { echo "apiVersion: cilium.io/v2"; echo "kind: CiliumNetworkPolicy"; echo "metadata: {name: server, namespace: default}"
    echo "spec:"; echo "  endpointSelector: {matchLabels: {role: server}}"; echo "  ingress:"
    for p in $(fillers $(($1 - 3))); do
      echo "  - fromEndpoints: [{matchLabels: {role: client}}]"; echo "    toPorts: [{ports: [{port: \"$p\", protocol: UDP}]}]"
    done
    echo "  - fromEndpoints: [{matchLabels: {role: client}}]"; echo "    toPorts: [{ports: [{port: \"$udp_port\", protocol: UDP}]}]"
    echo "  - fromEndpoints: [{matchLabels: {role: client}}]"; echo "    toPorts: [{ports: [{port: \"$tcp_port\", protocol: TCP}]}]"
    echo "  - fromEndpoints: [{matchLabels: {role: client}}]"; echo "    icmps: [{fields: [{type: EchoRequest, family: IPv4}]}]"
  } >"$2"
}
# The nftables equivalents, in the node's forward hook, as a stateful firewall would have them.
nft_linear() {  # N CLIENT FILE
  { echo "flush ruleset"; echo "table inet mbrbench {"; echo "  chain forward {"
    echo "    type filter hook forward priority filter; policy drop;"
    echo "    ct state established,related accept"
    for p in $(fillers $(($1 - 3))); do echo "    ip saddr $2 udp dport $p accept"; done
    echo "    ip saddr $2 udp dport $udp_port accept"; echo "    ip saddr $2 tcp dport $tcp_port accept"
    echo "    ip saddr $2 icmp type echo-request accept"; echo "  }"; echo "}"
  } >"$3"
}
nft_set() {  # N CLIENT FILE
  { echo "flush ruleset"; echo "table inet mbrbench {"
    echo "  set ports { type inet_service; elements = { $( { fillers $(($1 - 2)); echo $udp_port; } | paste -sd, ) } }"
    echo "  chain forward {"; echo "    type filter hook forward priority filter; policy drop;"
    echo "    ct state established,related accept"
    echo "    ip saddr $2 udp dport @ports accept"; echo "    ip saddr $2 tcp dport $tcp_port accept"
    echo "    ip saddr $2 icmp type echo-request accept"; echo "  }"; echo "}"
  } >"$3"
}

# A plain node with a client and a server, as the agent builds them (EndpointNetworkBuilder), with ip commands.
plain_node() {  # NODE OCTET
  local node=$1 o=$2 i ep host
  ip netns add "$node"; bench_netns+=("$node")
  ip -n "$node" link set lo up
  ip netns exec "$node" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
  i=2
  for ep in c s; do
    ep="mbrb-${node#mbrt}$ep"; host="mbrh${node#mbrt}$ep"; host=${host:0:15}
    ip netns add "$ep"; bench_netns+=("$ep")
    ip -n "$node" link add "$host" type veth peer name eth0 netns "$ep"
    ip -n "$node" addr add "10.$o.0.1/32" dev "$host"
    ip -n "$node" addr add fe80::1/64 dev "$host" nodad
    ip -n "$node" link set "$host" up
    ip -n "$node" route add "10.$o.0.$i/32" dev "$host"
    ip -n "$node" route add "fd00:$o::$i/128" dev "$host"
    ip -n "$ep" addr add "10.$o.0.$i/32" dev eth0
    ip -n "$ep" addr add "fd00:$o::$i/128" dev eth0 nodad
    ip -n "$ep" link set lo up; ip -n "$ep" link set eth0 up
    ip -n "$ep" route add "10.$o.0.1/32" dev eth0 scope link
    ip -n "$ep" route add default via "10.$o.0.1"
    ip -n "$ep" -6 route add default via fe80::1 dev eth0
    i=$((i + 1))
  done
}

declare -A cns sip nftfile
echo "topologies" >&2
plain_node mbrtp0 240; cns[none]=mbrb-p0c; sip[none]=10.240.0.3
plain_node mbrtpn 241
for c in nft-10 nft-10000 nft-set; do cns[$c]=mbrb-pnc; sip[$c]=10.241.0.3; done
nft_linear 10 10.241.0.2 "$bench_work/nft-10.nft"; nftfile[nft-10]=$bench_work/nft-10.nft
nft_linear 10000 10.241.0.2 "$bench_work/nft-10000.nft"; nftfile[nft-10000]=$bench_work/nft-10000.nft
nft_set 10000 10.241.0.2 "$bench_work/nft-set.nft"; nftfile[nft-set]=$bench_work/nft-set.nft
o=242
for c in mbr-nopolicy mbr-10 mbr-10000; do
  node=mbrtm$o
  bench_agent "$node" "$o"
  s=$bench_work/$node.sock
  cns[$c]=mbrb-m${o}c; bench_ep "$s" "${cns[$c]}" k8s:role=client >/dev/null
  sip[$c]=$(bench_ep "$s" mbrb-m${o}s k8s:role=server)
  if [ "$c" != mbr-nopolicy ]; then
    membrane_policy "${c#mbr-}" "$bench_work/$c.yaml"
    t0=$(now_us); "$mbr" policy import "$bench_work/$c.yaml" --socket "$s" >/dev/null; t1=$(now_us)
    echo "  $c: import $(( (t1 - t0) / 1000 )) ms; server's policy map: $("$mbr" bpf policy get mbrb-m${o}s --socket "$s" -o json | jq length) entries" >&2
  fi
  o=$((o + 1))
done
configs=(none mbr-nopolicy mbr-10 mbr-10000 nft-10 nft-10000 nft-set)

# The servers, one pair per server endpoint.
for c in none nft-10 mbr-nopolicy mbr-10 mbr-10000; do
  sns=${cns[$c]%c}s
  ip netns exec "$sns" taskset -c 1 sockperf server -i "${sip[$c]}" -p $udp_port >/dev/null 2>&1 & bench_pids+=($!)
  ip netns exec "$sns" taskset -c 1 iperf3 -s -B "${sip[$c]}" -p $tcp_port >/dev/null 2>&1 & bench_pids+=($!)
done
sleep 1

use() {  # the configuration's nftables ruleset, if it has one
  [ -n "${nftfile[$1]:-}" ] && ip netns exec mbrtpn nft -f "${nftfile[$1]}"
  return 0
}
# A TCP connection to a port nobody listens on: refused (RST) without a filter, dropped (timeout) with one.
probe_closed() { ip netns exec "${cns[$1]}" timeout 1 bash -c "echo >/dev/tcp/${sip[$1]}/5299" 2>/dev/null; echo $?; }

res=$bench_work/res; : >"$res"
echo "sanity: what each configuration does to a denied flow (TCP to a closed port) and allowed ones" >&2
for c in "${configs[@]}"; do
  use "$c"
  r=$(probe_closed "$c"); case $r in 1) v=refused;; 124) v=dropped;; *) v="exit $r";; esac
  ip netns exec "${cns[$c]}" ping -c1 -W1 -q "${sip[$c]}" >/dev/null || { echo "ping fails in $c" >&2; exit 1; }
  echo "closed_port $c $v" >>"$res"; echo "  $c: TCP to a closed port $v; ping passes" >&2
done

# One repetition: each measure in turn, and within it every configuration, starting one further along each time, so
# that the figures a ratio compares were taken seconds apart.
for r in $(seq "$reps"); do
  echo "repetition $r/$reps" >&2
  n=${#configs[@]}
  declare -A rr=() rtt=() per=() tcp=()
  for what in rr ping tcp; do
    for k in $(seq 0 $((n - 1))); do
      c=${configs[$(( (k + r - 1) % n ))]}
      use "$c"
      cli=${cns[$c]}; srv=${sip[$c]}
      case $what in
        rr) rr[$c]=$(ip netns exec "$cli" taskset -c 1 sockperf ping-pong -i "$srv" -p $udp_port -t "$dur" 2>&1 \
              | sed -n 's/.*RunTime=\([0-9.]*\) sec; SentMessages=[0-9]*; ReceivedMessages=\([0-9]*\).*/\2 \1/p' | awk '{printf "%.0f", $1 / $2}') ;;
        ping)
          ip netns exec "$cli" taskset -c 1 ping -f -q -c "$count" "$srv" >"$bench_work/ping" || true
          rtt[$c]=$(sed -n 's|^rtt min/avg/max/mdev = [0-9.]*/\([0-9.]*\)/.*|\1|p' "$bench_work/ping")
          # ping -f prints its RTT to 1 us; its whole run's time, over the count, resolves much finer: us per echo.
          per[$c]=$(sed -n "s|.* received, .*time \([0-9]*\)ms.*|\1|p" "$bench_work/ping" | awk -v n="$count" '{printf "%.3f", $1 * 1000 / n}') ;;
        tcp) tcp[$c]=$(ip netns exec "$cli" taskset -c 1 iperf3 -c "$srv" -p $tcp_port -t "$dur" -J | jq '.end.sum_received.bits_per_second / 1e9') ;;
      esac
    done
  done
  for c in "${configs[@]}"; do
    echo "$c $r ${rr[$c]:-nan} ${rtt[$c]:-nan} ${tcp[$c]:-nan} ${per[$c]:-nan}" >>"$res"
    echo "  $c: ${rr[$c]} transactions/s, ping -f ${rtt[$c]} ms (${per[$c]} us per echo), TCP ${tcp[$c]} Gbit/s" >&2
  done
done

med() { awk -v c="$1" -v f="$2" '$1 == c && NF == 6 {print $f}' "$res" | median; }
# Paired ratios: each repetition's figure over that repetition's no-filter figure; their median, and their range.
ratio() { awk -v c="$1" -v f="$2" '$1 == "none" && NF == 6 {b[$2] = $f} $1 == c && NF == 6 {v[$2] = $f} END {for (r in v) if (b[r] > 0) printf "%.3f\n", v[r] / b[r]}' "$res" \
  | sort -n | awk '{a[NR] = $1} END {m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3f (%.2f-%.2f)", m, a[1], a[NR]}'; }
echo
printf '%-13s %10s %-20s %8s %-20s %8s %-20s %10s %-20s %s\n' config "UDP RR/s" "  ratio (range)" "RTT us" "  ratio (range)" "us/echo" "  ratio (range)" "TCP Gbit/s" "  ratio (range)" "closed port"
for c in "${configs[@]}"; do
  printf '%-13s %10.0f   %-18s %8.1f   %-18s %8.2f   %-18s %10.2f   %-18s %s\n' "$c" "$(med "$c" 3)" "$(ratio "$c" 3)" \
    "$(awk -v x="$(med "$c" 4)" 'BEGIN {print x * 1000}')" "$(ratio "$c" 4)" "$(med "$c" 6)" "$(ratio "$c" 6)" "$(med "$c" 5)" "$(ratio "$c" 5)" \
    "$(awk -v c="$c" '$1 == "closed_port" && $2 == c {print $3}' "$res")"
done
echo "(figures: medians of $reps repetitions; ratios: the median over repetitions of the configuration's figure over the"
echo " same repetition's no-filter figure, with their range; RR/s and Gbit/s ratios below 1, and RTT and us/echo ratios above 1,"
echo " are costs. RTT: ping -f's average, which it prints to 1 us; us/echo: ping -f's whole time over its count."
echo " sockperf ping-pong $dur s, ping -f -c $count, iperf3 $dur s; $(nproc) cores; $(uname -r); load average: $(cut -d' ' -f1-3 /proc/loadavg))"
echo "every value (config rep tps rtt_ms gbit us_per_echo):"; grep -v closed_port "$res" | sort | sed 's/^/  /'
