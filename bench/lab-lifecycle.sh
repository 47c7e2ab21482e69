#!/usr/bin/env bash
# Times `lab up` (cold: fresh state dir, initdb + basebackup; warm: data kept, processes
# restarted) and `lab down`, N rounds, and prints each run plus the medians as JSON.
# Usage: bench/lab-lifecycle.sh [rounds]   (default 5). Uses its own loopback addresses.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-5}"
work="$(mktemp -d /tmp/regami-bench.XXXXXX)"; chmod 755 "$work"
trap '"$here/regami-dr" lab down --purge --state-dir "$work/state" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
cat >"$work/lab.yaml" <<YAML
regions:
  - { name: eu-west-3, role: primary, address: 127.0.30.2 }
  - { name: eu-central-1, role: standby, address: 127.0.30.3 }
dns: { address: 127.0.30.1 }
YAML
cli() { "$here/regami-dr" "$@" --state-dir "$work/state" --config "$work/lab.yaml" >/dev/null; }
now() { date +%s.%N; }
cli --help >/dev/null 2>&1 || true   # build outside the timings

declare -a cold warm down
for i in $(seq 1 "$rounds"); do
  t0=$(now); cli lab up; t1=$(now); cold+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')")
  t0=$(now); cli lab down; t1=$(now); down+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')")
  t0=$(now); cli lab up; t1=$(now); warm+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')")
  cli lab down --purge
  echo "round $i: cold ${cold[-1]} s, down ${down[-1]} s, warm ${warm[-1]} s" >&2
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
json_list() { local IFS=,; echo "[$*]"; }
cat <<JSON
{ "benchmark": "lab-lifecycle", "rounds": $rounds, "machine": "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB",
  "labUpColdSeconds": { "median": $(median "${cold[@]}"), "runs": $(json_list "${cold[@]}") },
  "labUpWarmSeconds": { "median": $(median "${warm[@]}"), "runs": $(json_list "${warm[@]}") },
  "labDownSeconds":   { "median": $(median "${down[@]}"), "runs": $(json_list "${down[@]}") } }
JSON
