#!/usr/bin/env bash
# The three restore drills (issue 11) against the plan's targets, on a private lab:
#   corruption         (records dropped → latest snapshot restored and promoted)   plan: RTO 15–30 min, RPO ≤ 1 h
#   accidental-delete  (rows deleted → point-in-time restore, rows copied back)    plan: RTO 10–20 min, RPO 5 min
#   provider-outage    (both databases + home repository lost → rebuilt from repo2) plan's general targets: 15 min / 5 min
# Each RUNS times (default 2), in turn, on one lab. SIZE_MB (default 0) first fills the database with that much
# pgbench data, so that the restore, the standby's re-clone and the backup after it move a real volume.
#   bench/restore-drills.sh [RUNS] [SIZE_MB]
# Prints one row per drill and the median per scenario; raw reports stay in the artifacts directory.
set -euo pipefail
bench_name=restore-drills
export BENCH_NET="${BENCH_NET:-127.0.82}"
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
runs="${1:-2}"
size_mb="${2:-0}"
primary="$net.2"

echo "bench: restore drills, $runs run(s) each, database filler ${size_mb} MiB; machine: $(machine)" >&2
cli lab up >"$art/lab-up.txt" 2>&1
if [ "$size_mb" -gt 0 ]; then
  scale=$(( size_mb * 100 / 1500 )); [ "$scale" -lt 1 ] && scale=1   # pgbench: ~15 MB per scale unit
  pgbench -h "$primary" -U postgres -i -s "$scale" -q regami >"$art/pgbench-init.txt" 2>&1
fi
db_mib=$(psql -h "$primary" -U postgres -d regami -Atqc "SELECT pg_database_size('regami') / 1048576")
echo "bench: database $db_mib MiB" >&2

rows="$art/rows.tsv"; : >"$rows"
for i in $(seq 1 "$runs"); do
  for scenario in corruption accidental-delete provider-outage; do
    quiet_gate
    out="$art/$scenario-$i.json"
    code=0; cli drill --scenario "$scenario" --keep-lab -o json >"$out" 2>"$art/$scenario-$i.stderr" || code=$?
    quiet_end
    python3 - "$out" "$scenario" "$code" "$busy_during" >>"$rows" <<'PY'
import json, sys
path, scenario, code, busy = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
try:
    r = json.load(open(path))
except Exception:
    print(f"{scenario}\tFAILED(exit {code})\t-\t-\t-\t-\t-\t-\t-\t{busy}"); sys.exit()
m, t, rs = r["measured"], r["targets"], r.get("restore", {})
phases = {p["name"]: p["seconds"] for p in m["phases"]}
rto = "never" if m["rtoSeconds"] is None else f'{m["rtoSeconds"]:.1f}'
print("\t".join([scenario, "PASS" if r["passed"] else f"FAIL(exit {code})", rto, f'{m["rpoSeconds"]:.1f}',
                 str(m["lostAcknowledgedWrites"]), str(m["acknowledgedWrites"]), f'{rs.get("restoreSeconds", 0):.1f}',
                 f'{t["rtoSeconds"]:.0f}/{t["rpoSeconds"]:.0f}', f'{r["durationSeconds"]:.0f}', busy]))
PY
    tail -1 "$rows" >&2
  done
done

{
  echo "| scenario | result | RTO s | RPO s | acked writes lost / acked | restore s | targets RTO/RPO s | drill s | foreign busy samples |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s / %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10 }' "$rows"
  python3 - "$rows" <<'PY'
import sys, statistics, collections
by = collections.defaultdict(list)
for line in open(sys.argv[1]):
    f = line.rstrip("\n").split("\t")
    try: by[f[0]].append((float(f[2]), float(f[3])))
    except ValueError: pass
for s, v in by.items():
    print(f"| **{s} median** ({len(v)} runs) | | {statistics.median(x for x, _ in v):.1f} | {statistics.median(y for _, y in v):.1f} | | | | | |")
PY
} | tee "$art/table.md"
echo "bench: database $db_mib MiB; commit $commit; artifacts in $art" >&2
