# Shared set-up for the runbook benchmarks (sourced, not run).
# Gives: $here (repo), $work (temp dir), $art (kept artifacts), cli (the CLI against the bench
# lab), now, bl (bench/lib/benchlib.py), start_writer/stop_writer, status_line, wait_steady,
# quiet_gate/quiet_end, run_runbook.
# The bench lab uses its own loopback addresses: $BENCH_NET.2/.3, DNS on $BENCH_NET.1:5353
# (BENCH_NET defaults to 127.0.50). The lab's controller (automatic failover) is off unless
# BENCH_CONTROLLER=true: these benchmarks time the manual runbooks, and the controller acts on
# its own (it failed over again right after a manual failback, see RESULTS.md).
# `lab down --purge` runs on exit, whatever happens; the raw results stay in $art.
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export PYTHONDONTWRITEBYTECODE=1   # no __pycache__ in bench/lib
net="${BENCH_NET:-127.0.50}"
bench_name="${bench_name:-bench}"
work="$(mktemp -d /tmp/regami-bench.XXXXXX)"; chmod 755 "$work"
art="/tmp/regami-bench-$bench_name-$(date +%Y%m%dT%H%M%S)"; mkdir -p "$art"
writer_pid=""
cleanup() {
  [ -n "$writer_pid" ] && kill "$writer_pid" 2>/dev/null || true
  [ -n "${busy_pid:-}" ] && kill "$busy_pid" 2>/dev/null || true
  if [ -f "$work/cli/regami-dr.dll" ]; then
    dotnet "$work/cli/regami-dr.dll" lab down --purge --state-dir "$work/state" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
dns="$net.1:5353"
cat >"$work/lab.yaml" <<YAML
lab:
  addresses: { eu-west-3: $net.2, eu-central-1: $net.3 }
  dns: { address: $net.1 }
controller: { enabled: ${BENCH_CONTROLLER:-false} }
YAML

# Build once (outside every timing), then run a private copy of the build: other people
# editing src/ make ./regami-dr rebuild, which must neither land inside a timed command nor
# swap the binaries under the lab's running daemons. Same lock as ./regami-dr. When the tree
# does not build right now (someone is mid-edit), the last good snapshot is used, with a note.
lastgood=/tmp/regami-bench-cli-lastgood
if "$here/regami-dr" --help >/dev/null 2>"$work/build.log"; then
  (
    exec 9>"$here/src/Regami.Dr.Cli/obj/.build.lock"; flock 9
    cp -a "$here/src/Regami.Dr.Cli/bin/Release/net10.0" "$work/cli"
  )
  commit="$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$here" diff --quiet -- src samples 2>/dev/null || echo '+dirty')"
  (
    exec 8>"$lastgood.lock"; flock 8   # benchmarks may run side by side
    rm -rf "$lastgood.tmp.$$"; cp -a "$work/cli" "$lastgood.tmp.$$"; echo "$commit" >"$lastgood.tmp.$$/.commit"
    rm -rf "$lastgood"; mv "$lastgood.tmp.$$" "$lastgood"
  )
elif [ -f "$lastgood/regami-dr.dll" ]; then
  grep -m3 error "$work/build.log" >&2 || true
  ( exec 8>"$lastgood.lock"; flock 8; cp -a "$lastgood" "$work/cli" )
  commit="$(cat "$work/cli/.commit") (last good build; the tree did not build)"
  echo "bench: the CLI does not build now; using the last good snapshot ($commit)" >&2
else
  cat "$work/build.log" >&2; echo "bench: the CLI does not build" >&2; exit 1
fi
echo "bench: CLI snapshot of $commit in $work/cli; artifacts in $art" >&2

cli() { dotnet "$work/cli/regami-dr.dll" "$@" --state-dir "$work/state" --config "$work/lab.yaml"; }
now() { date +%s.%N; }
bl() { python3 "$here/bench/lib/benchlib.py" "$@"; }
machine() { echo "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r), load avg $(cut -d' ' -f1-3 /proc/loadavg)"; }

load1() { cut -d' ' -f1 /proc/loadavg; }   # 1-min load average (other work on the machine)

# Other people's builds and test runs share the 2 cores, and so do other benchmarks' runbook
# commands and pgbench. Before a timed command, wait (at most QUIET_WAIT s, default 240) until
# none is running; while it runs, note whether one started.
foreign_busy() {
  pgrep -f 'MSBuild\.dll|vstest\.console|testhost|bincore/csc|dotnet (build|test)' >/dev/null && return 0
  pgrep -af 'regami-dr\.dll (failover|failback|switchover|lab (up|down|fault))|pgbench' 2>/dev/null \
    | grep -v -F "$work/" | grep -q .
}
quiet_gate() {
  local limit="${QUIET_WAIT:-240}" t0; t0=$(date +%s)
  while foreign_busy; do
    if [ $(( $(date +%s) - t0 )) -ge "$limit" ]; then echo "bench: still busy after ${limit} s; going on" >&2; break; fi
    sleep 1
  done
  quiet_waited=$(( $(date +%s) - t0 ))
  : >"$work/busy"
  ( while :; do foreign_busy && echo busy >>"$work/busy"; sleep 0.5; done ) &
  busy_pid=$!
}
# After the timed command: $busy_during = how many 0.5 s samples saw a foreign build/test.
quiet_end() { kill "$busy_pid" 2>/dev/null; wait "$busy_pid" 2>/dev/null || true; busy_during=$(wc -l <"$work/busy"); }

status_json() { cli status -o json 2>/dev/null; }
# Prints "primaryRegion primaryHost standbyLagBytes(or -)" from status.
status_line() {
  status_json | python3 -c '
import json, sys
d = json.load(sys.stdin)
p = next((r for r in d["regions"] if r["name"] == d.get("primaryRegion")), None)
lag = d.get("replication", {}).get("lagBytes")
print(d.get("primaryRegion"), p["database"]["host"] if p else "-", "-" if lag is None else lag,
      d.get("replication", {}).get("streaming"), d["traffic"].get("answeredAddress"))'
}
# Waits until DNS answers the primary and (unless $2 = primary-only) the standby streams with
# 0 lag bytes (max $1 s).
wait_steady() {
  local limit="${1:-120}" mode="${2:-}" t0; t0=$(date +%s)
  while :; do
    read -r region host lag streaming answered < <(status_line || echo "- - - - -")
    if [ "$answered" = "$host" ] && { [ "$mode" = primary-only ] || { [ "$lag" = "0" ] && [ "$streaming" = "True" ]; }; }; then return 0; fi
    if [ $(( $(date +%s) - t0 )) -ge "$limit" ]; then
      echo "bench: lab not steady after ${limit} s (primary $region $host, lag $lag, streaming $streaming, DNS $answered)" >&2; return 1
    fi
    sleep 0.5
  done
}

# start_writer LOG SEQSTART: a client writing to the public name; returns once it has an ack.
start_writer() {
  local log="$1" seq="$2" i
  : >"$log"
  # python3 itself in the background (not the bl function: that would be a subshell whose
  # kill leaves the writer running)
  python3 "$here/bench/lib/benchlib.py" writer --dns "$dns" --seq-start "$seq" --out "$log" --interval "${WRITER_INTERVAL:-0.02}" &
  writer_pid=$!
  for i in $(seq 1 100); do
    grep -q '"status": 201' "$log" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "bench: the writer got no acknowledged write in 10 s:" >&2; tail -3 "$log" >&2; return 1
}
stop_writer() { [ -n "$writer_pid" ] && { kill "$writer_pid" 2>/dev/null; wait "$writer_pid" 2>/dev/null || true; }; writer_pid=""; }

# run_runbook NAME OUTFILE ARGS...: runs a runbook with -o json, keeps stderr, fails loudly.
run_runbook() {
  local name="$1" out="$2"; shift 2
  local rc=0
  cli "$@" --yes -o json >"$out" 2>"$out.stderr" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "bench: \`regami-dr $*\` exited $rc ($name); output kept in $art" >&2
    head -c 3000 "$out" >&2; echo >&2; tail -20 "$out.stderr" >&2
    return "$rc"
  fi
}

# The lab controller's API at $ctl_url (set it first): its JSON, one field of it (a python expression
# on d, "-" when it does not answer), and a wait until it says the primary is healthy and the standby
# replicates (max $1 s, default 60).
ctl() { curl -sf --max-time 2 "${ctl_url}api/controller"; }
ctl_get() { ctl 2>/dev/null | python3 -c "import json,sys; d=json.load(sys.stdin); v=$1; print('-' if v is None else v)" 2>/dev/null || echo -; }
wait_controller_calm() {
  local limit="${1:-60}" t0 s; t0=$(date +%s)
  while :; do
    s="$(ctl_get 'd["situation"]')"
    case "$s" in *healthy*"standby"*replicating*) [[ "$s" != *unhealthy* ]] && return 0 ;; esac
    if [ $(( $(date +%s) - t0 )) -ge "$limit" ]; then echo "bench: controller not calm after ${limit} s: $s" >&2; return 1; fi
    sleep 0.5
  done
}
