#!/usr/bin/env bash
# Failback on a ~1 GiB database: rebuild the old primary with pg_rewind (the default) versus a
# fresh pg_basebackup (`failback --reclone`). After lab up: `pgbench -i -s $SCALE` into the
# lab's `regami` database, wait until the standby has caught up (lag 0), then twice:
# failover → `pgbench -c 2 -T $WRITE_SECONDS` against the new primary → failback (first
# rewind, then --reclone). Prints JSON: the rebuild-as-standby step and the whole failback for
# each, and the ratios (goal: rewind ≤ 10 % of the re-clone time).
# Usage: bench/failback-rewind-vs-reclone.sh   (env: SCALE=70, WRITE_SECONDS=10). ~3 GiB in /tmp.
set -euo pipefail
bench_name=failback-rewind-vs-reclone
scale="${SCALE:-70}"
write_seconds="${WRITE_SECONDS:-10}"
pgbin=/usr/lib/postgresql/15/bin

avail_kib=$(df -Pk /tmp | awk 'NR == 2 {print $4}')
echo "bench: /tmp has $((avail_kib / 1024 / 1024)) GiB free" >&2
if [ "$avail_kib" -lt $((3 * 1024 * 1024)) ]; then echo "bench: need ~3 GiB free in /tmp" >&2; exit 2; fi
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
if ! cli failback --help 2>/dev/null | grep -q -- '--reclone'; then
  echo "bench: this build has no \`failback --reclone\`" >&2; exit 2
fi

echo "bench: lab up ($net.x)…" >&2
cli lab up >/dev/null 2>"$art/lab-up.stderr"
wait_steady 60
read -r _ primary _ < <(status_line)

echo "bench: pgbench -i -s $scale into regami on $primary…" >&2
t0=$(now)
"$pgbin/pgbench" -i -s "$scale" -q -h "$primary" -p 5432 -U postgres regami >"$art/pgbench-init.log" 2>&1 \
  || { tail -20 "$art/pgbench-init.log" >&2; exit 1; }
t1=$(now); init_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
db_bytes=$(psql -h "$primary" -U postgres -d regami -Atc "SELECT pg_database_size('regami')")
echo "bench: initialised in $init_s s; regami is $((db_bytes / 1024 / 1024)) MiB; waiting for the standby to catch up…" >&2
t0=$(now); wait_steady 900; t1=$(now)
catchup_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.1f", b - a}')
echo "bench: standby caught up $catchup_s s after the load" >&2

: >"$art/runs.jsonl"
for mode in rewind reclone; do
  wait_steady 900
  run_runbook "failover before $mode" "$art/failover-$mode.json" failover
  read -r _ newprimary _ < <(status_line)
  echo "bench: failed over to $newprimary; pgbench -c 2 -T $write_seconds there…" >&2
  "$pgbin/pgbench" -c 2 -T "$write_seconds" -h "$newprimary" -p 5432 -U postgres regami >"$art/pgbench-$mode.log" 2>&1 \
    || { tail -20 "$art/pgbench-$mode.log" >&2; exit 1; }
  tps=$(awk '/^tps/ {print $3; exit}' "$art/pgbench-$mode.log")
  args=(failback); [ "$mode" = reclone ] && args+=(--reclone)
  quiet_gate
  echo "bench: ${args[*]}…" >&2
  t0=$(now)
  run_runbook "failback $mode" "$art/failback-$mode.json" "${args[@]}"
  t1=$(now)
  quiet_end
  python3 - "$art/failback-$mode.json" "$mode" "$t0" "$t1" "${tps:-null}" "$busy_during" >>"$art/runs.jsonl" <<PY
import json, sys
sys.path.insert(0, "$here/bench/lib")
import benchlib as b
r = json.load(open(sys.argv[1])); steps = {s["name"]: s for s in r["steps"]}
def st(n):
    s = steps.get(n)
    return None if s is None else {"seconds": round(b.seconds(s["duration"]), 3), "outcome": s["outcome"], "detail": s["detail"]}
print(json.dumps({"mode": sys.argv[2], "outcome": r["outcome"], "pgbenchTps": float(sys.argv[5]) if sys.argv[5] != "null" else None,
                  "rebuildAsStandby": st("rebuild-as-standby"), "backRebuildAsStandby": st("back-rebuild-as-standby"),
                  "waitCaughtUp": st("wait-caught-up"), "failbackSeconds": round(b.seconds(r["duration"]), 3),
                  "commandWall": round(float(sys.argv[4]) - float(sys.argv[3]), 3),
                  "foreignBuildSamplesDuring": int(sys.argv[6]),
                  "steps": {n: round(b.seconds(s["duration"]), 3) for n, s in steps.items()}}))
PY
  tail -1 "$art/runs.jsonl" | python3 -c '
import json, sys
x = json.loads(sys.stdin.read()); r = x["rebuildAsStandby"]
print("failback ({0}): rebuild-as-standby {1} s [{2}], whole failback {3} s\n  {4}".format(
    x["mode"], r["seconds"], r["outcome"], x["failbackSeconds"], r["detail"][:300]))' >&2
done

python3 - "$art" "$(machine)" "$commit" "$scale" "$db_bytes" "$init_s" "$catchup_s" "$write_seconds" <<PY
import json, sys
art, machine, commit = sys.argv[1:4]
runs = {x["mode"]: x for x in map(json.loads, open(f"{art}/runs.jsonl"))}
rw, rc = runs["rewind"], runs["reclone"]
ratio = lambda a, b: None if not a or not b else round(a / b, 4)
out = {"benchmark": "failback-rewind-vs-reclone", "machine": machine, "commit": commit,
       "database": {"pgbenchScale": int(sys.argv[4]), "bytes": int(sys.argv[5]), "initSeconds": float(sys.argv[6]),
                    "standbyCatchUpSeconds": float(sys.argv[7])},
       "writesAfterFailover": f"pgbench -c 2 -T {sys.argv[8]} against the new primary",
       "rewind": rw, "reclone": rc,
       "ratio": {"rebuildAsStandby": ratio(rw["rebuildAsStandby"]["seconds"], rc["rebuildAsStandby"]["seconds"]),
                 "failback": ratio(rw["failbackSeconds"], rc["failbackSeconds"]),
                 "goal": "rewind <= 0.10 x re-clone (rebuild-as-standby)"}}
out["ratio"]["goalMet"] = out["ratio"]["rebuildAsStandby"] is not None and out["ratio"]["rebuildAsStandby"] <= 0.10
print(json.dumps(out, indent=1))
PY
