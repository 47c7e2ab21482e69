#!/usr/bin/env bash
# Failback on a ~1 GiB database: rebuild the old primary with pg_rewind (the default) versus a
# fresh pg_basebackup (`failback --reclone`). After lab up: `pgbench -i -s $SCALE` into the
# lab's `regami` database, wait until the standby has caught up (lag 0), then per round, for
# each mode: failover → `pgbench -c 2 -T $WRITE_SECONDS` against the new primary → failback.
# Modes:
#   rewind             failover of a healthy primary, then `failback` (pg_rewind; the old
#                      primary was stopped cleanly, so pg_rewind finds nothing to undo)
#   reclone            the same, then `failback --reclone` (pg_basebackup of the whole database)
#   rewind-after-kill  pgbench on the primary, `lab fault kill-db` (SIGKILL) mid-load, failover,
#                      then `failback`: crash recovery + a pg_rewind with real divergence
# Prints JSON: rebuild-as-standby, rebuild → caught-up standby (rebuild + start + wait-caught-up),
# the whole failback, per mode (median and every run), and the ratios of the medians
# (goal: rewind ≤ 10 % of the re-clone time).
# Usage: bench/failback-rewind-vs-reclone.sh [rounds]   (default 3; env: SCALE=70,
# WRITE_SECONDS=10, MODES="rewind reclone rewind-after-kill"). Needs ~3 GiB in /tmp.
set -euo pipefail
bench_name=failback-rewind-vs-reclone
scale="${SCALE:-70}"
write_seconds="${WRITE_SECONDS:-10}"
rounds="${1:-3}"
modes="${MODES:-rewind reclone rewind-after-kill}"
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
for round in $(seq 1 "$rounds"); do
  for mode in $modes; do
    wait_steady 900
    read -r _ oldprimary _ < <(status_line)
    if [ "$mode" = rewind-after-kill ]; then
      echo "bench: round $round $mode: pgbench on $oldprimary, kill-db after 5 s…" >&2
      "$pgbin/pgbench" -c 2 -T 15 -h "$oldprimary" -p 5432 -U postgres regami >"$art/pgbench-load-$round.log" 2>&1 &
      load_pid=$!
      sleep 5
      cli lab fault kill-db >"$art/fault-$round.log" 2>&1
      wait "$load_pid" 2>/dev/null || true   # pgbench fails when its server dies
    fi
    run_runbook "failover before $mode" "$art/failover-$mode-$round.json" failover
    read -r _ newprimary _ < <(status_line)
    echo "bench: round $round $mode: failed over to $newprimary; pgbench -c 2 -T $write_seconds there…" >&2
    "$pgbin/pgbench" -c 2 -T "$write_seconds" -h "$newprimary" -p 5432 -U postgres regami >"$art/pgbench-$mode-$round.log" 2>&1 \
      || { tail -20 "$art/pgbench-$mode-$round.log" >&2; exit 1; }
    tps=$(awk '/^tps/ {print $3; exit}' "$art/pgbench-$mode-$round.log")
    args=(failback); [ "$mode" = reclone ] && args+=(--reclone)
    quiet_gate
    echo "bench: round $round $mode: ${args[*]}…" >&2
    t0=$(now)
    run_runbook "failback $mode" "$art/failback-$mode-$round.json" "${args[@]}"
    t1=$(now)
    quiet_end
    python3 "$here/bench/lib/rebuild_run.py" "$art/failback-$mode-$round.json" "$mode" "$round" "$t0" "$t1" \
      "${tps:-null}" "$busy_during" >>"$art/runs.jsonl"
    tail -1 "$art/runs.jsonl" | python3 -c '
import json, sys
x = json.loads(sys.stdin.read()); r = x["rebuildAsStandby"]
print("round {0} failback ({1}): rebuild-as-standby {2} s [{3}], to a caught-up standby {4} s, whole failback {5} s\n  {6}".format(
    x["round"], x["mode"], r["seconds"], r["outcome"], x["rebuildToCaughtUp"], x["failbackSeconds"], r["detail"][:300]))' >&2
  done
done

python3 "$here/bench/lib/rebuild_run.py" --summary "$art/runs.jsonl" "$(machine)" "$commit" "$scale" "$db_bytes" \
  "$init_s" "$catchup_s" "$write_seconds" "$rounds"
