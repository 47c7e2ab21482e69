#!/usr/bin/env bash
# Backup and restore times on a private lab (issue 11): a database of SIZE_MB (default 1024) filled
# with pgbench, then in the same run:
#   - pgBackRest full backup (process-max 2, lz4), through `regami-dr backup create --no-copy`
#   - its cross-region copy (a second full backup into the other region's repository)
#   - pg_basebackup of the same database to a plain directory (the baseline, no compression)
#   - snapshot restore into a new instance (`regami-dr restore --snapshot`), until it answers
#   - point-in-time restore after WAL_MB (default 256) of WAL written since the backup, against the WAL replayed
#   bench/backup-restore.sh [SIZE_MB] [WAL_MB]
# Prints a table; raw outputs stay in the artifacts directory. The lab is purged at the end.
set -euo pipefail
bench_name=backup-restore
export BENCH_NET="${BENCH_NET:-127.0.80}"
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
size_mb="${1:-1024}"
wal_mb="${2:-256}"
primary="$net.2"
psqlp() { psql -h "$primary" -U postgres -d regami -Atq "$@"; }
secs() { python3 -c "print(f'{$2 - $1:.1f}')"; }

echo "bench: backup and restore of a ${size_mb} MiB database; machine: $(machine)" >&2
cli lab up --no-controller >"$art/lab-up.txt" 2>&1
scale=$(( size_mb * 100 / 1500 )); [ "$scale" -lt 1 ] && scale=1   # pgbench: ~15 MB per scale unit
t0=$(now); pgbench -h "$primary" -U postgres -i -s "$scale" -q --no-vacuum regami >"$art/pgbench-init.txt" 2>&1; t1=$(now)
db_bytes=$(psqlp -c "SELECT pg_database_size('regami')")
echo "bench: pgbench -i -s $scale: $(( db_bytes / 1048576 )) MiB in $(secs "$t0" "$t1") s" >&2

quiet_gate; t0=$(now)
cli backup create --no-copy --reason bench -o json >"$art/backup.json" 2>"$art/backup.stderr"; t1=$(now); quiet_end
id=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$art/backup.json")
repo_bytes=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["copies"][0]["repositoryBytes"])' "$art/backup.json")
backup_s=$(secs "$t0" "$t1")

quiet_gate; t0=$(now)
cli backup copy "$id" --to eu-central-1 -o json >"$art/copy.json" 2>"$art/copy.stderr"; t1=$(now); quiet_end
copy_s=$(secs "$t0" "$t1")

base="$work/basebackup"; mkdir -p "$base"; [ "$(id -u)" = 0 ] && chown postgres "$base"
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | head -1)
quiet_gate; t0=$(now)
run_pg "$bin/pg_basebackup" -h "$primary" -U postgres -D "$base/data" -X stream -c fast --no-sync >"$art/basebackup.txt" 2>&1; t1=$(now); quiet_end
basebackup_s=$(secs "$t0" "$t1"); base_bytes=$(du -sb "$base/data" | cut -f1); rm -rf "$base"

quiet_gate; t0=$(now)
cli restore --snapshot "$id" --as bench-snap -o json >"$art/restore-snapshot.json" 2>"$art/restore-snapshot.stderr"; t1=$(now); quiet_end
restore_s=$(secs "$t0" "$t1")
cli restore drop bench-snap >/dev/null

# WAL since the backup: pgbench's TPC-B-like load until WAL_MB of WAL is written, then note T and restore to it.
start_lsn=$(psqlp -c "SELECT pg_current_wal_lsn()")
while [ "$(psqlp -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$start_lsn')::bigint / 1048576")" -lt "$wal_mb" ]; do
  pgbench -h "$primary" -U postgres -c 4 -j 2 -T 10 -n regami >>"$art/pgbench-run.txt" 2>&1
done
target=$(psqlp -c "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")
wal_bytes=$(psqlp -c "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '$start_lsn')::bigint")
psqlp -c "SELECT txid_current()" >/dev/null
quiet_gate; t0=$(now)
cli restore --to-time "$target" --as bench-pitr -o json >"$art/restore-pitr.json" 2>"$art/restore-pitr.stderr"; t1=$(now); quiet_end
pitr_s=$(secs "$t0" "$t1")
cli restore drop bench-pitr >/dev/null

mib() { python3 -c "print(f'{$1/1048576:.0f}')"; }
rate() { python3 -c "print(f'{$1/1048576/$2:.0f}')"; }
{
  echo "| what | size | seconds | MiB/s |"
  echo "|---|---:|---:|---:|"
  echo "| pgBackRest full backup (process-max 2, lz4), \`backup create --no-copy\` | $(mib "$db_bytes") MiB db → $(mib "$repo_bytes") MiB in repo | $backup_s | $(rate "$db_bytes" "$backup_s") |"
  echo "| its cross-region copy, \`backup copy --to eu-central-1\` (a second full backup) | $(mib "$db_bytes") MiB | $copy_s | $(rate "$db_bytes" "$copy_s") |"
  echo "| pg_basebackup -X stream -c fast (plain directory, no compression) | $(mib "$base_bytes") MiB | $basebackup_s | $(rate "$base_bytes" "$basebackup_s") |"
  echo "| snapshot restore into a new instance, until it answers, \`restore --snapshot\` | $(mib "$db_bytes") MiB | $restore_s | $(rate "$db_bytes" "$restore_s") |"
  echo "| point-in-time restore, \`restore --to-time\` ($(mib "$wal_bytes") MiB of WAL after the backup) | $(mib "$wal_bytes") MiB WAL | $pitr_s | – |"
} | tee "$art/table.md"
echo "bench: commit $commit; artifacts in $art" >&2
