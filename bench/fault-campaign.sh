#!/usr/bin/env bash
# The seeded fault campaign (issue 10, item 8) on a private lab: random sequences of faults while
# an independent writer runs, each healed and failed back, the invariants checked after every one.
#   bench/fault-campaign.sh [SEQUENCES] [SEED] [MODE]     e.g. bench/fault-campaign.sh 100 4242 sync
# CAMPAIGN_ARGS="--only 5" replays one sequence of the plan; BENCH_NET moves the lab (default 127.0.60).
# Defaults: 20 sequences, a random seed (printed: replay a failure with the same seed and
# `--only N`), sync replication. The table goes to stdout and to the artifacts directory.
# The lab's controller runs (it is what is under test), with a 2 s cooldown so that every
# sequence's failover is allowed; everything else is the lab's defaults.
set -euo pipefail
bench_name=fault-campaign
export BENCH_NET="${BENCH_NET:-127.0.60}"
export BENCH_CONTROLLER=true
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
sequences="${1:-20}"
seed="${2:-$(( (RANDOM << 15 | RANDOM) % 1000000 + 1 ))}"
mode="${3:-sync}"

cat >"$work/lab.yaml" <<YAML
lab:
  addresses: { eu-west-3: $net.2, eu-central-1: $net.3 }
  dns: { address: $net.1 }
controller: { cooldown: 2s }
YAML

echo "bench: fault campaign, $sequences sequences, seed $seed, $mode replication; machine: $(machine)" >&2
set +e
cli lab campaign --seed "$seed" --sequences "$sequences" --replication "$mode" --evidence-dir "$art/evidence" ${CAMPAIGN_ARGS:-} 2> >(tee "$art/progress.log" >&2) | tee "$art/table.txt"
rc=${PIPESTATUS[0]}
set -e
cli lab campaign --seed "$seed" --sequences "$sequences" --dry-run >"$art/plan.txt" 2>/dev/null || true
echo "bench: exit $rc; commit $commit; artifacts in $art" >&2
exit "$rc"
