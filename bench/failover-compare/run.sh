#!/usr/bin/env bash
# Failover, side by side on this machine (issue 12 item 3): regami-dr's lab (defaults, and matched to
# Patroni's tuned timings), Patroni 3 (Debian, local etcd; defaults and its documented minimum) and
# pg_auto_failover 2 (Debian; defaults), each on the same PostgreSQL 15 binaries, with the same fault
# and the same client. See README.md beside this file for what is measured and how.
#
# Usage: bench/failover-compare/run.sh [rounds]     (default 5 rounds per system and fault)
# JSON on stdout, progress on stderr, raw logs in /tmp/regami-bench-failover-compare-*/.
# Env: SYSTEMS (default "regami-dr-defaults regami-dr-matched patroni-defaults patroni-minimum
#      pg-auto-failover"), FAULTS (default "crash hang"), WRITER_INTERVAL (s between writes, 0.03),
#      QUIET_WAIT (s to wait for other people's builds/tests before a fault, default 240).
# Addresses: regami-dr's lab on 127.0.83.1-3 (DNS .1:5353, controller .1:7480, PostgreSQL .2/.3:5432);
# etcd 127.0.84.1:2379/2380, Patroni nodes 127.0.84.2/.3 (PostgreSQL 5432, REST 8008); pg_auto_failover
# monitor 127.0.84.4:6010, nodes 127.0.84.5:6011 and 127.0.84.6:6012.
set -euo pipefail
rounds="${1:-5}"
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [rounds]" >&2; exit 2; }
systems="${SYSTEMS:-regami-dr-defaults regami-dr-matched patroni-defaults patroni-minimum pg-auto-failover}"
faults="${FAULTS:-crash hang}"
interval="${WRITER_INTERVAL:-0.03}"
PY=/usr/bin/python3   # Debian's python (psycopg2, etcd); a pyenv python comes first on PATH
PGBIN=/usr/lib/postgresql/15/bin
fcdir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fc() { "$PY" "$fcdir/fc.py" "$@"; }

# ------------------------------------------------------------------ prerequisites (before the build)
need=()
for p in patroni etcd-server postgresql-15-auto-failover python3-psycopg2 python3-etcd; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "bench: missing Debian packages; as root run: apt-get install -y ${need[*]}" >&2; exit 2
  fi
  echo "bench: installing ${need[*]}…" >&2
  apt-get install -y "${need[@]}" >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1; apt-get install -y "${need[@]}" >/dev/null; }
fi
if [ "$(id -u)" != 0 ]; then
  echo "bench: run as root (PostgreSQL, Patroni and pg_autoctl are started as the postgres user with setpriv)" >&2; exit 2
fi
[ -x "$PGBIN/postgres" ] || { echo "bench: PostgreSQL 15 not found in $PGBIN (apt-get install -y postgresql-15)" >&2; exit 2; }

bench_name=failover-compare
export BENCH_NET="${BENCH_NET:-127.0.83}"
export BENCH_CONTROLLER=true
source "$fcdir/../lib/common.sh"
export PYTHONDONTWRITEBYTECODE=1

# ------------------------------------------------------------------ process bookkeeping
# Every process this script starts is written to $work/procs ("pid pattern"): the cleanup resumes
# (SIGCONT), terminates and at last kills each one whose command line still matches; then every
# PostgreSQL it started (its data directory in $work/datadirs) by the pid in postmaster.pid.
: >"$work/procs"; : >"$work/datadirs"; : >"$work/stopped"
track() { echo "$1 $2" >>"$work/procs"; }
alive_as() { { tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$2"; } 2>/dev/null; }
tree() { local p="$1" c; echo "$p"; for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do tree "$c"; done; }
postmaster_of() { [ -f "$1/postmaster.pid" ] && head -1 "$1/postmaster.pid" || true; }
stop_pid() {   # stop_pid PID PATTERN: SIGCONT, SIGTERM, up to 15 s, then SIGKILL
  local pid="$1" pat="$2" i
  alive_as "$pid" "$pat" || return 0
  kill -CONT "$pid" 2>/dev/null || true; kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 150); do alive_as "$pid" "$pat" || return 0; sleep 0.1; done
  echo "bench: pid $pid ($pat) ignored SIGTERM for 15 s; SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
}
kill_datadir() {   # the postmaster of a data directory and its children, by pid
  local d="$1" pm set
  pm="$(postmaster_of "$d")"
  [ -n "$pm" ] && alive_as "$pm" "$d" || return 0
  set=$(tree "$pm"); kill -CONT $set 2>/dev/null || true; kill -KILL $set 2>/dev/null || true
}
fc_cleanup() {
  local pids pid pat d
  [ -s "$work/stopped" ] && kill -CONT $(cat "$work/stopped") 2>/dev/null || true
  [ -n "${dbw_pid:-}" ] && kill "$dbw_pid" 2>/dev/null || true
  [ -n "${waiter_pid:-}" ] && kill "$waiter_pid" 2>/dev/null || true
  # Newest first: agents before etcd and the monitor.
  tac "$work/procs" 2>/dev/null | while read -r pid pat; do stop_pid "$pid" "$pat"; done
  while read -r d; do [ -n "$d" ] && kill_datadir "$d"; done <"$work/datadirs"
}
trap 'fc_cleanup; cleanup' EXIT

# Long waits run in the background so that Ctrl-C or SIGTERM reaches the trap at once.
waiter_pid=""
waitfor() { "$@" & waiter_pid=$!; local rc=0; wait "$waiter_pid" || rc=$?; waiter_pid=""; return "$rc"; }
fcw() { waitfor "$PY" "$fcdir/fc.py" "$@"; }
pgdir() { mkdir -p "$1"; chown postgres:postgres "$1"; chmod 700 "$1"; }

: >"$art/rounds.jsonl"
seqbase=0

# ------------------------------------------------------------------ one round, any system
# run_round SYSTEM FAULT I: writers, the fault, the figures, the restore, one line per client in rounds.jsonl;
#   the caller sets: r_dsn (writer conninfo, old primary first), r_old (old primary address),
#   r_new_dsn (conninfo of the standby that should take over), r_agent and r_pm (the HA agent's pid, empty for regami-dr, and the postmaster's: the fault hits both trees),
#   r_restore (function restoring a whole cluster, setting r_restored to its primary's conninfo), r_http (1: also the public name)
run_round() {
  local system="$1" fault="$2" i="$3" sig t tag log hlog ld busy restore_t0 restored rest
  tag="$system-$fault-$i"; log="$art/$tag.db.jsonl"; hlog="$art/$tag.http.raw.jsonl"
  seqbase=$(( seqbase + 1000000 ))
  quiet_gate
  # python itself in the background (a shell function would put a subshell between: its pid is not the writer's)
  "$PY" "$fcdir/fc.py" writer --dsn "$r_dsn" --seq-start "$seqbase" --out "$log" --interval "$interval" --timeout 1 &
  dbw_pid=$!
  if [ "${r_http:-0}" = 1 ]; then
    : >"$hlog"
    python3 "$here/bench/lib/benchlib.py" writer --dns "$dns" --seq-start "$seqbase" --out "$hlog" --interval "$interval" --timeout 1 &
    writer_pid=$!
  fi
  for _ in $(seq 1 100); do
    grep -q '"ok": true' "$log" 2>/dev/null && { [ "${r_http:-0}" = 0 ] || grep -q '"status": 201' "$hlog"; } && break
    sleep 0.1
  done
  grep -q '"ok": true' "$log" || { echo "bench: $tag: the database client got no ack in 10 s" >&2; tail -3 "$log" >&2; return 1; }
  sleep 2
  ld=$(load1)
  sig=KILL; [ "$fault" = hang ] && sig=STOP
  # The set is taken right before the signal: backends forked since (the client's) belong to it.
  r_set="$( { [ -n "$r_agent" ] && tree "$r_agent"; tree "$r_pm"; } | sort -un)"
  [ "$fault" = hang ] && echo "$r_set" >"$work/stopped"
  t=$(now)
  kill -"$sig" $r_set 2>/dev/null || true
  echo "bench: $tag: SIG$sig ${r_what} (pids: $(echo $r_set)); $(uptime)" >&2
  if ! fcw settle --log "$log" --old "$r_old" --since "$t" --hold 3 --limit 240; then
    echo "bench: $tag: no 3 s of acks from another server within 240 s of the fault" >&2
  fi
  if [ "${r_http:-0}" = 1 ]; then
    for _ in $(seq 1 120); do
      fc http-log --log "$hlog" --out "$art/$tag.http.jsonl"
      fc settle --log "$art/$tag.http.jsonl" --old "$r_old" --since "$t" --hold 3 --limit 1 2>/dev/null && break
    done
  fi
  kill "$dbw_pid" 2>/dev/null; wait "$dbw_pid" 2>/dev/null || true; dbw_pid=""
  stop_writer
  quiet_end; busy=$busy_during
  fc round --log "$log" --fault "$t" --old "$r_old" --primary "$r_new_dsn" >"$art/$tag.db.round.json" || echo '{"rto": null, "newHost": null, "failed": null, "lost": {"acked": 0, "lost": 0}}' >"$art/$tag.db.round.json"
  if [ "${r_http:-0}" = 1 ]; then
    fc http-log --log "$hlog" --out "$art/$tag.http.jsonl"
    fc round --log "$art/$tag.http.jsonl" --fault "$t" --old "$r_old" --primary "$r_new_http_dsn" --table records >"$art/$tag.http.round.json" \
      || echo '{"rto": null, "newHost": null, "failed": null, "lost": {"acked": 0, "lost": 0}}' >"$art/$tag.http.round.json"
  fi
  # Restore a whole 2-node cluster; the lost writes are counted again on its primary.
  restore_t0=$(now)
  r_restored=""
  $r_restore || { echo "bench: $tag: the cluster did not come back whole" >&2; return 1; }
  restored="$r_restored"
  : >"$work/stopped"
  rest=$(python3 -c "print(round($(now) - $restore_t0, 1))")
  extra=$(printf '{"system":"%s","fault":"%s","round":%s,"load1":%s,"quietWaited":%s,"foreignBusySamples":%s,"restoreSeconds":%s,"faultAt":%s,"from":"%s"}' \
    "$system" "$fault" "$i" "$ld" "$quiet_waited" "$busy" "$rest" "$t" "$r_old")
  fc finish --round-file "$art/$tag.db.round.json" --log "$log" --primary "$restored" --extra "${extra%\}},\"via\":\"database\"}" >>"$art/rounds.jsonl"
  if [ "${r_http:-0}" = 1 ]; then
    fc finish --round-file "$art/$tag.http.round.json" --log "$art/$tag.http.jsonl" --primary "$r_restored_http_dsn" --table records \
      --extra "${extra%\}},\"via\":\"public name\"}" >>"$art/rounds.jsonl"
  fi
  tail -n "$([ "${r_http:-0}" = 1 ] && echo 2 || echo 1)" "$art/rounds.jsonl" | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l)
    print("bench: %s %s round %s (%s): RTO %s s to %s; %s failed attempts; acked lost %s at failover, %s after restore (of %s); restore %s s; load %s"
          % (r["system"], r["fault"], r["round"], r["via"], r["rto"], r["newHost"], r["failed"], r["lostAtFailover"]["lost"], r["lost"]["lost"],
             r["lost"]["acked"], r["restoreSeconds"], r["load1"]), file=sys.stderr)'
}

create_table() {
  fc sql --dsn "$1 target_session_attrs=read-write" \
    "CREATE TABLE IF NOT EXISTS bench_writes (seq bigint PRIMARY KEY, at timestamptz NOT NULL DEFAULT clock_timestamp())" >/dev/null
}

# ------------------------------------------------------------------ regami-dr
# ctl, ctl_get and wait_controller_calm (the controller's API at $ctl_url) come from lib/common.sh.
# Prints "primaryHost standbyHost postmasterPid" from status (retried: status may lack a primary for a moment).
regami_roles() {
  local k
  for k in $(seq 1 30); do regami_roles_once 2>>"$art/status.stderr" && return 0; sleep 1; done
  echo "bench: status names no primary region for 30 s" >&2; return 1
}
regami_roles_once() {
  status_json | python3 -c '
import json, sys
d = json.load(sys.stdin)
p = next(r for r in d["regions"] if r["name"] == d["primaryRegion"])
s = next(r for r in d["regions"] if r["name"] != d["primaryRegion"])
print(p["database"]["host"], s["database"]["host"], p["database"].get("pid") or "-")'
}
regami_restore() {
  local t0
  cli lab fault heal >/dev/null 2>>"$art/lab.stderr" || true   # resumes a still-hung server, if any
  t0=$(date +%s)
  while [ "$(ctl_get 'd["runningFailover"]')" != "-" ]; do
    [ $(( $(date +%s) - t0 )) -ge 120 ] && break; sleep 0.5
  done
  wait_steady 60 primary-only >&2
  run_runbook "failback" "$art/failback-$(date +%s).json" failback >&2
  wait_steady 120 >&2
  wait_controller_calm 60 >&2 || true
  read -r ph _ < <(regami_roles)
  r_restored="host=$ph port=5432 user=postgres dbname=regami"; r_restored_http_dsn="$r_restored"
}
run_regami() {
  local system="$1" fault i ph sh pm
  if [ "$system" = regami-dr-matched ]; then
    # Patroni's minimum: loop_wait 1 s -> controller interval 1 s; ttl 20 s (the leader is given up
    # 20 s after its last renewal) -> a 20 s detection budget: 10 failed checks 2 s apart (10 is the
    # largest failure threshold, Route 53's); retry_timeout 3 s -> probe timeout 2 s (at most the interval).
    # The controller probes once per controller.interval (healthCheck.requestInterval paces the lab's
    # DNS checks): the budget is controller.interval x failureThreshold, so the interval is 2 s here.
    # (Until 2026-11-30 07:45 it was 1 s, which made this a 10 s budget, not 20 s.)
    hc="healthCheck: { requestInterval: 2s, failureThreshold: 10, timeout: 2s }"
    ctl_interval=2s
  else
    hc="# healthCheck and controller at the defaults: checks every 1 s, 3 failures, 1 s timeout; controller every 1 s"
    ctl_interval=1s
  fi
  cat >"$work/lab.yaml" <<YAML
lab:
  addresses: { eu-west-3: $net.2, eu-central-1: $net.3 }
  dns: { address: $net.1 }
controller: { enabled: true, interval: $ctl_interval }
$hc
YAML
  cp "$work/lab.yaml" "$art/$system.lab.yaml"
  echo "bench: $system: lab up on $net.x…" >&2
  cli lab up >/dev/null 2>>"$art/lab.stderr"
  ctl_url="$(status_json | python3 -c 'import json,sys; print(json.load(sys.stdin)["controller"]["url"])')"
  wait_steady 120; wait_controller_calm 60
  create_table "host=$net.2,$net.3 port=5432,5432 user=postgres dbname=regami"
  for fault in $faults; do
    for i in $(seq 1 "$rounds"); do
      wait_steady 120; wait_controller_calm 60 || true
      read -r ph sh pm < <(regami_roles)
      [ "$pm" != "-" ] || { echo "bench: no postmaster pid for the primary" >&2; return 1; }
      r_dsn="host=$ph,$sh port=5432,5432 user=postgres dbname=regami"
      r_old="$ph"; r_new_dsn="host=$sh port=5432 user=postgres dbname=regami"; r_new_http_dsn="$r_new_dsn"
      # No per-node agent in regami-dr: the fault is the primary's postmaster and its children.
      r_agent=""; r_pm="$pm"; r_what="the primary's postmaster $pm and its children ($ph)"
      r_restore=regami_restore; r_http=1
      run_round "$system" "$fault" "$i"
    done
  done
  cli lab down --purge >/dev/null 2>>"$art/lab.stderr"
  r_http=0
}

# ------------------------------------------------------------------ Patroni
etcd_up() {
  [ -n "${etcd_pid:-}" ] && return 0
  etcd --name fcbench --data-dir "$work/etcd" --enable-v2=true \
    --listen-client-urls http://127.0.84.1:2379 --advertise-client-urls http://127.0.84.1:2379 \
    --listen-peer-urls http://127.0.84.1:2380 --initial-advertise-peer-urls http://127.0.84.1:2380 \
    --initial-cluster fcbench=http://127.0.84.1:2380 >"$art/etcd.log" 2>&1 &
  etcd_pid=$!; track "$etcd_pid" "$work/etcd"
  for _ in $(seq 1 50); do curl -sf http://127.0.84.1:2379/health >/dev/null && return 0; sleep 0.2; done
  echo "bench: etcd did not start" >&2; return 1
}
patroni_yaml() {   # patroni_yaml N ttl loop_wait retry_timeout
  local n="$1" a="127.0.84.$(( $1 + 1 ))" d="$pwork/n$1"
  pgdir "$d"; pgdir "$d/sock"
  cat >"$pwork/n$n.yaml" <<YAML
scope: $pscope
name: node$n
restapi: { listen: '$a:8008', connect_address: '$a:8008' }
etcd3: { hosts: '127.0.84.1:2379' }
bootstrap:
  dcs:
    ttl: $2
    loop_wait: $3
    retry_timeout: $4
    postgresql:
      use_pg_rewind: true
      parameters: { wal_keep_size: 64MB }
  initdb: [ { encoding: UTF8 }, { locale: C } ]
postgresql:
  listen: '$a:5432'
  connect_address: '$a:5432'
  data_dir: $d/data
  bin_dir: $PGBIN
  pgpass: $d/pgpass
  authentication:
    superuser: { username: postgres, password: bench }
    replication: { username: replicator, password: bench }
  parameters: { unix_socket_directories: '$d/sock' }
  pg_hba:
    - host replication replicator 127.0.0.0/8 trust
    - host all all 127.0.0.0/8 trust
YAML
  chown postgres:postgres "$pwork/n$n.yaml"
  echo "$d/data" >>"$work/datadirs"
}
patroni_start() {   # patroni_start N: setpriv execs, so $! is Patroni's pid
  setpriv --reuid=postgres --regid=postgres --init-groups -- /usr/bin/patroni "$pwork/n$1.yaml" >>"$art/$pscope-n$1.log" 2>&1 &
  eval "patroni_pid_$1=$!"; track "$!" "$pwork/n$1.yaml"; disown "$!"
}
patroni_api="http://127.0.84.2:8008,http://127.0.84.3:8008"
patroni_restore() {
  if [ "$r_fault" = crash ]; then patroni_start "$r_node"; else kill -CONT $r_set 2>/dev/null || true; fi
  local p; fcw healthy patroni --api "$patroni_api" --limit 300 >"$work/healthy" || return 1; p="$(cat "$work/healthy")"
  p="${p#* }"; r_restored="host=${p%:*} port=${p#*:} user=postgres dbname=postgres"
}
run_patroni() {
  local system="$1" ttl lw rt fault i p lname lhost n other pm agent
  if [ "$system" = patroni-minimum ]; then ttl=20; lw=1; rt=3; else ttl=30; lw=10; rt=10; fi
  pscope="$system"; pwork="$work/$system"; mkdir -p "$pwork"; chmod 755 "$pwork"
  etcd_up
  patroni_yaml 1 $ttl $lw $rt; patroni_yaml 2 $ttl $lw $rt
  echo "bench: $system: Patroni (ttl $ttl, loop_wait $lw, retry_timeout $rt), etcd 127.0.84.1, nodes 127.0.84.2/.3…" >&2
  patroni_start 1
  for _ in $(seq 1 120); do curl -sf http://127.0.84.2:8008/primary >/dev/null && break; sleep 0.5; done
  patroni_start 2
  fc healthy patroni --api "$patroni_api" --limit 180 >/dev/null
  create_table "host=127.0.84.2,127.0.84.3 port=5432,5432 user=postgres dbname=postgres"
  fc healthy patroni --api "$patroni_api" --limit 60 >/dev/null
  for fault in $faults; do
    for i in $(seq 1 "$rounds"); do
      p="$(fc healthy patroni --api "$patroni_api" --limit 300)"
      lname="${p%% *}"; lhost="${p#* }"; lhost="${lhost%:*}"
      n="${lname#node}"; other="127.0.84.$(( (3 - n) + 1 ))"
      eval "agent=\$patroni_pid_$n"
      pm="$(postmaster_of "$pwork/n$n/data")"
      r_dsn="host=$lhost,$other port=5432,5432 user=postgres dbname=postgres"
      r_old="$lhost"; r_new_dsn="host=$other port=5432 user=postgres dbname=postgres"
      r_agent="$agent"; r_pm="$pm"; r_what="Patroni $agent and the postmaster $pm with its children ($lname $lhost)"
      r_node="$n"; r_fault="$fault"; r_restore=patroni_restore; r_http=0
      run_round "$system" "$fault" "$i"
    done
  done
  for n in 1 2; do eval "p=\$patroni_pid_$n"; stop_pid "$p" "$pwork/n$n.yaml"; done
  for n in 1 2; do kill_datadir "$pwork/n$n/data"; done
}

# ------------------------------------------------------------------ pg_auto_failover
awork="$work/pgaf"
pgaf_env() { env HOME="$awork" XDG_CONFIG_HOME="$awork/xdg" XDG_DATA_HOME="$awork/xdg-data" XDG_RUNTIME_DIR="$awork/xdg-run" PATH="$PGBIN:/usr/bin:/bin" "$@"; }
pgaf_hba() { printf 'host all all 127.0.0.0/8 trust\nhost replication all 127.0.0.0/8 trust\n' >>"$1/pg_hba.conf"; }
pgaf_run() {   # pgaf_run NAME: `pg_autoctl run` through env and setpriv (both exec), so $! is its pid (not through pgaf_env: a function would put a subshell between)
  env HOME="$awork" XDG_CONFIG_HOME="$awork/xdg" XDG_DATA_HOME="$awork/xdg-data" XDG_RUNTIME_DIR="$awork/xdg-run" PATH="$PGBIN:/usr/bin:/bin" \
    setpriv --reuid=postgres --regid=postgres --init-groups -- pg_autoctl run --pgdata "$awork/$1" >>"$art/pgaf-$1.log" 2>&1 &
  eval "pgaf_pid_$1=$!"; track "$!" "--pgdata $awork/$1"; disown "$!"
}
pgaf_monitor="host=127.0.84.4 port=6010 user=autoctl_node dbname=pg_auto_failover"
pgaf_create_node() {   # pgaf_create_node NAME ADDRESS PORT
  pgaf_env setpriv --reuid=postgres --regid=postgres --init-groups -- pg_autoctl create postgres --pgdata "$awork/$1" --pgport "$3" \
    --hostname "$2" --listen "$2" --name "$1" --monitor "postgres://autoctl_node@127.0.84.4:6010/pg_auto_failover" \
    --skip-pg-hba --no-ssl --pgctl "$PGBIN/pg_ctl" >>"$art/pgaf-$1.create.log" 2>&1
  echo "$awork/$1" >>"$work/datadirs"
}
pgaf_restore() {
  if [ "$r_fault" = crash ]; then pgaf_run "$r_node"; else kill -CONT $r_set 2>/dev/null || true; fi
  local p; fcw healthy pgaf --monitor "$pgaf_monitor" --limit 300 >"$work/healthy" || return 1; p="$(cat "$work/healthy")"
  p="${p#* }"; r_restored="host=${p%:*} port=${p#*:} user=postgres dbname=postgres"
}
run_pgaf() {
  local system="$1" fault i p name hp lhost lport other agent pm
  mkdir -p "$awork"; chown postgres:postgres "$awork"; chmod 755 "$awork"
  echo "bench: $system: monitor 127.0.84.4:6010, nodes 127.0.84.5:6011, 127.0.84.6:6012 (defaults)…" >&2
  # --skip-pg-hba and our own trust lines: pg_autoctl's automatic rules look for the address among the
  # network interfaces and fail for a 127.x alias.
  pgaf_env setpriv --reuid=postgres --regid=postgres --init-groups -- pg_autoctl create monitor --pgdata "$awork/monitor" --pgport 6010 \
    --hostname 127.0.84.4 --listen 127.0.84.4 --skip-pg-hba --no-ssl --pgctl "$PGBIN/pg_ctl" >>"$art/pgaf-monitor.create.log" 2>&1
  echo "$awork/monitor" >>"$work/datadirs"
  pgaf_hba "$awork/monitor"; pgaf_run monitor
  for _ in $(seq 1 100); do fc sql --dsn "$pgaf_monitor" "SELECT 1" >/dev/null 2>&1 && break; sleep 0.3; done
  pgaf_create_node node1 127.0.84.5 6011; pgaf_hba "$awork/node1"; pgaf_run node1
  for _ in $(seq 1 120); do
    [ "$(fc sql --dsn "$pgaf_monitor" "SELECT reportedstate FROM pgautofailover.node WHERE nodename = 'node1'" 2>/dev/null)" = single ] && break; sleep 0.5
  done
  pgaf_create_node node2 127.0.84.6 6012; pgaf_run node2
  fc healthy pgaf --monitor "$pgaf_monitor" --limit 180 >/dev/null
  create_table "host=127.0.84.5,127.0.84.6 port=6011,6012 user=postgres dbname=postgres"
  for fault in $faults; do
    for i in $(seq 1 "$rounds"); do
      p="$(fc healthy pgaf --monitor "$pgaf_monitor" --limit 300)"
      name="${p%% *}"; hp="${p#* }"; lhost="${hp%:*}"; lport="${hp#*:}"
      if [ "$name" = node1 ]; then other="127.0.84.6 6012"; else other="127.0.84.5 6011"; fi
      eval "agent=\$pgaf_pid_$name"
      pm="$(postmaster_of "$awork/$name")"
      r_dsn="host=$lhost,${other% *} port=$lport,${other#* } user=postgres dbname=postgres"
      r_old="$lhost"; r_new_dsn="host=${other% *} port=${other#* } user=postgres dbname=postgres"
      r_agent="$agent"; r_pm="$pm"; r_what="pg_autoctl $agent (all its processes) and the postmaster $pm with its children ($name $hp)"
      r_node="$name"; r_fault="$fault"; r_restore=pgaf_restore; r_http=0
      run_round "$system" "$fault" "$i"
    done
  done
  for name in node1 node2 monitor; do eval "p=\$pgaf_pid_$name"; stop_pid "$p" "--pgdata $awork/$name"; done
  for name in node1 node2 monitor; do kill_datadir "$awork/$name"; done
}

# ------------------------------------------------------------------ main
versions="$(printf '{"patroni": "%s", "pg_autoctl": "%s", "etcd": "%s", "postgres": "%s", "libpq": "%s"}' \
  "$(patroni --version 2>&1 | head -1)" "$(pg_autoctl --version 2>&1 | head -1)" "$(etcd --version 2>&1 | head -1)" \
  "$("$PGBIN/postgres" --version)" "$("$PY" -c 'import psycopg2.extensions as e; print(e.libpq_version())')")"
echo "bench: $rounds round(s) per system and fault; systems: $systems; faults: $faults; machine: $(machine)" >&2
for system in $systems; do
  case "$system" in
    regami-dr-defaults|regami-dr-matched) run_regami "$system" ;;
    patroni-defaults|patroni-minimum) run_patroni "$system" ;;
    pg-auto-failover) run_pgaf "$system" ;;
    *) echo "bench: unknown system $system" >&2; exit 2 ;;
  esac
done

cat >"$art/meta.json" <<JSON
{"benchmark": "failover-compare", "roundsPerSystemAndFault": $rounds, "machine": "$(machine)", "commit": "$commit",
 "command": "bench/failover-compare/run.sh $rounds", "versions": $versions,
 "writerIntervalSeconds": $interval, "writeTimeoutSeconds": 1, "connectTimeout": "connect_timeout=1 (libpq 15 waits 2 s per host)",
 "settings": {
  "regami-dr-defaults": "lab defaults: controller interval 1 s, health checks every 1 s, failureThreshold 3, timeout 1 s, cooldown 60 s (a failback resets it), prewarmOnSuspect true and compute.readyInstances 1 (the defaults since ec1f288; before: pre-warm off, all instances), async replication",
  "regami-dr-matched": "controller interval 2 s x failureThreshold 10 = 20 s detection budget (= ttl 20; the controller probes once per interval), lab DNS checks every 2 s, probe timeout 2 s (<= retry_timeout 3; at most the interval)",
  "patroni-defaults": "ttl 30, loop_wait 10, retry_timeout 10, use_pg_rewind, async, maximum_lag_on_failover 1 MiB (default), etcd3, no watchdog",
  "patroni-minimum": "ttl 20, loop_wait 1, retry_timeout 3, otherwise as patroni-defaults",
  "pg-auto-failover": "defaults: monitor + 2 nodes, replication-quorum true (synchronous ANY 1 while the secondary is up), primary_demote_timeout 30 s, --no-ssl, --skip-pg-hba with trust rules"},
 "faults": {"crash": "SIGKILL, at once, of the HA agent's processes and the primary's postmaster with its children (regami-dr has no per-node agent: the postmaster and its children)",
            "hang": "SIGSTOP of the same set; SIGCONT only after the measurement (regami-dr's failover runbook resumes and stops the hung server itself when it fences it)"},
 "note": "rto = fault signal -> the first write acknowledged by a server other than the old primary; lost = acknowledged seqs missing on the primary once the cluster is whole again (lostAtFailover: on the new primary right after the failover)",
 "artifacts": "$art"}
JSON
fc summary --rounds "$art/rounds.jsonl" --meta "$art/meta.json" --markdown "$art/table.md"
echo "bench: table in $art/table.md:" >&2
cat "$art/table.md" >&2
