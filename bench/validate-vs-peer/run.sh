#!/usr/bin/env bash
# Membrane's `policy validate` against the peer validator (ajv with Cilium's CRD, ../shared/tools/crd-peer),
# side by side in one run, on the inputs the peer's gen.js writes: one file of N documents, a directory of
# N files, and one small file. Runs alternate (peer, Membrane, peer, ...) so that machine drift cancels.
# It reports, per input, the median whole-process wall time and peak RSS of each, and their ratios.
#
#   bench/validate-vs-peer/run.sh [N] [ROUNDS]      (defaults: 10000 documents, 5 rounds)
#
# Needs node and npm (Debian: nodejs, npm) and the .NET SDK; installs the peer into a temporary folder.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
n="${1:-10000}"
rounds="${2:-5}"
shared="$root/../shared"
work="$(mktemp -d /tmp/membrane-peer-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT

command -v node >/dev/null && command -v npm >/dev/null || { echo "run.sh: needs node and npm (apt-get install nodejs npm)" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "run.sh: needs GNU time (apt-get install time)" >&2; exit 2; }

echo "peer: installing into $work/peer" >&2
cp -r "$shared/tools/crd-peer" "$work/peer"
chmod -R u+w "$work/peer"
(cd "$work/peer" && npm install --no-audit --no-fund --silent >/dev/null \
  && node extract.js "$shared/corpus/crds/ciliumnetworkpolicies.yaml" "$shared/corpus/crds/ciliumclusterwidenetworkpolicies.yaml" >/dev/null \
  && node build.js >/dev/null)
(cd "$work/peer" && node gen.js "$n" "$work/in" >/dev/null)

echo "membrane: building as ./membrane does (Native AOT with clang, else ReadyToRun)" >&2
"$root/membrane" --help >/dev/null
echo "membrane: built as $(cat "$root/artifacts/cli/.mode" 2>/dev/null || echo unknown)" >&2

peer=(node "$work/peer/validate.js")
membrane=("$root/membrane" policy validate)

# One measurement: wall seconds and peak RSS in KiB of a whole process; its output is discarded.
measure() {
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>&1 || true
  cat "$work/time"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

printf '%-8s %12s %12s %8s %14s %14s %8s\n' input peer_s membrane_s ratio peer_MiB membrane_MiB ratio
for input in one.yaml dir small.yaml; do
  : >"$work/peer.t"; : >"$work/membrane.t"
  for _ in $(seq "$rounds"); do
    measure "${peer[@]}" "$work/in/$input" >>"$work/peer.t"
    measure "${membrane[@]}" "$work/in/$input" >>"$work/membrane.t"
  done
  pw=$(cut -d' ' -f1 "$work/peer.t" | median); mw=$(cut -d' ' -f1 "$work/membrane.t" | median)
  pm=$(cut -d' ' -f2 "$work/peer.t" | median); mm=$(cut -d' ' -f2 "$work/membrane.t" | median)
  awk -v i="$input" -v pw="$pw" -v mw="$mw" -v pm="$pm" -v mm="$mm" \
    'BEGIN { printf "%-8s %12.2f %12.2f %8.2f %14.1f %14.1f %8.2f\n", i, pw, mw, mw / pw, pm / 1024, mm / 1024, mm / pm }'
done
echo "(medians of $rounds alternating runs each; $n documents; $(nproc) cores; $(uname -r))"
