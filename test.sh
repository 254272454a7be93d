#!/usr/bin/env bash
# Runs every test of Membrane: the policy language, the CLI and the kernel-facing BPF toolkit.
# Kernel tests need root and a few tools (ip, ping, nft, chattr, strace, etcd); as root on a fresh Debian machine this
# script installs what is missing first. Without root those tests skip and say why.
set -euo pipefail
cd "$(dirname "$0")"

need=()
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v ping >/dev/null 2>&1 || need+=(iputils-ping)
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v chattr >/dev/null 2>&1 || need+=(e2fsprogs)
command -v strace >/dev/null 2>&1 || need+=(strace)
command -v etcd >/dev/null 2>&1 || need+=(etcd-server)   # the cluster tests start their own, in namespaces of their own
if [ ${#need[@]} -gt 0 ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "test.sh: installing ${need[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
status=0
dotnet test Membrane.slnx --nologo "$@" 2>&1 | tee "$log" || status=$?

# One closing line over all test projects, in the plain form CI reads.
awk '/(Passed|Failed)! +- +Failed:/ {
       gsub(",", "");
       for (i = 1; i <= NF; i++) {
         if ($i == "Failed:")  f += $(i+1);
         if ($i == "Passed:")  p += $(i+1);
         if ($i == "Skipped:") s += $(i+1);
       }
     }
     END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
exit $status
