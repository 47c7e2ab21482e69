#!/usr/bin/env bash
# The seeded fault campaign (issue 10, item 8) on a private lab: random sequences of faults while
# an independent writer runs, each healed and failed back, the invariants checked after every one.
#   bench/fault-campaign.sh [SEQUENCES] [SEED] [MODE]     e.g. bench/fault-campaign.sh 100 4242 sync
# CAMPAIGN_ARGS="--only 5" replays one sequence of the plan; BENCH_NET moves the lab (default 127.0.60);
# BENCH_ETCD=1 runs two controllers sharing a local etcd lease (controller faults hit the leader).
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

lease_yaml=""
extra=()
if [ "${BENCH_ETCD:-0}" = 1 ]; then
  # Two controllers sharing a local etcd (the multi-region controller set-up): faults hit the leader.
  command -v etcd >/dev/null || { echo "bench: BENCH_ETCD=1 needs etcd: apt-get install -y etcd-server" >&2; exit 2; }
  etcd --name campaign --data-dir "$work/etcd" --listen-client-urls "http://$net.1:2379" --advertise-client-urls "http://$net.1:2379" \
    --listen-peer-urls "http://$net.1:2380" --initial-advertise-peer-urls "http://$net.1:2380" --initial-cluster "campaign=http://$net.1:2380" \
    >"$art/etcd.log" 2>&1 &
  etcd_pid=$!
  trap 'kill "$etcd_pid" 2>/dev/null; cleanup' EXIT
  for _ in $(seq 50); do curl -sf "http://$net.1:2379/health" >/dev/null && break; sleep 0.2; done
  lease_yaml=", lease: etcd, etcdEndpoint: 'http://$net.1:2379'"
  extra=(--second-controller "http://$net.1:7481/")
fi
cat >"$work/lab.yaml" <<YAML
lab:
  addresses: { eu-west-3: $net.2, eu-central-1: $net.3 }
  dns: { address: $net.1 }
controller: { cooldown: 2s$lease_yaml }
YAML

echo "bench: fault campaign, $sequences sequences, seed $seed, $mode replication; machine: $(machine)" >&2
set +e
cli lab campaign --seed "$seed" --sequences "$sequences" --replication "$mode" --evidence-dir "$art/evidence" "${extra[@]}" ${CAMPAIGN_ARGS:-} 2> >(tee "$art/progress.log" >&2) | tee "$art/table.txt"
rc=${PIPESTATUS[0]}
set -e
cli lab campaign --seed "$seed" --sequences "$sequences" --dry-run >"$art/plan.txt" 2>/dev/null || true
echo "bench: exit $rc; commit $commit; artifacts in $art" >&2
exit "$rc"
