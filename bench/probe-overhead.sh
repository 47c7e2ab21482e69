#!/usr/bin/env bash
# Probe overhead: CPU used by the controller's prober probing N local endpoints every second, for
# N = 1,000 / 5,000 / 10,000 (goal, issue 12 item 5: 10,000 endpoints every second in ≤ 15 % of one
# core). Two kinds of process (bench/Regami.Dr.Bench.Probes):
#   servers  Kestrel servers listening on N ports of $PROBE_ADDR, one process per 2,500 ports
#            (distinct origins, as with N real hosts; one process per 2,500 keeps each well under
#            the 20,000-descriptor limit with its listeners plus the connections of a burst, and
#            one on 5,000 ports died "Out of memory" once on a loaded machine)
#   probe    the real ProbingHealthSource(HttpHealthProber) + RegionHealth, all targets in parallel
#            each 1 s tick, as ControllerLoop does, for $SECONDS_PER_RUN s after 5 warm-up ticks; CPU
#            time of that process (Process.TotalProcessorTime) / wall time = percent of one core.
# Per round and N: one "exact" run (the controller's loop unchanged: headline CPU, tick duration
# split into probing and bookkeeping, allocations per probe, GC counts) and one "timed" run (a
# Stopwatch around each ProbeAsync: per-probe latency p50/p99). Rounds go N by N inside a round, so
# a burst of load from other people's builds spreads over the curve instead of one point.
# Usage: bench/probe-overhead.sh [rounds]   (default 3). JSON on stdout (the curve: medians per N),
# progress on stderr, every run's JSON under /tmp/regami-bench-probe-overhead-*/.
# Env: PROBE_ADDR (default 127.0.70.9), FIRST_PORT (20000; FIRST_PORT..FIRST_PORT+max(N)-1 must be
# free and below the ephemeral range), COUNTS ("1000 5000 10000"; COUNT=N alone for one point),
# SECONDS_PER_RUN (60), MODES ("exact timed"), VARIANT (prober; keepalive|raw for attribution only).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-3}"
addr="${PROBE_ADDR:-127.0.70.9}"; first="${FIRST_PORT:-20000}"; secs="${SECONDS_PER_RUN:-60}"
counts="${COUNTS:-${COUNT:-1000 5000 10000}}"; modes="${MODES:-exact timed}"; variant="${VARIANT:-prober}"
max=0; for n in $counts; do [ "$n" -gt "$max" ] && max=$n; done
per_server=2500
work="$(mktemp -d /tmp/regami-bench-probes.XXXXXX)"
art="/tmp/regami-bench-probe-overhead-$(date +%Y%m%dT%H%M%S)"; mkdir -p "$art"
srv_pids=(); mon_pid=""
cleanup() {
  [ -n "$mon_pid" ] && kill "$mon_pid" 2>/dev/null || true
  for p in "${srv_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${srv_pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
foreign_busy() { pgrep -f 'MSBuild\.dll|vstest\.console|testhost|bincore/csc|dotnet (build|test)' >/dev/null; }

# The prober holds up to N sockets at once (all probes of a tick in flight): raise the soft limit
# to the hard one, and say so if even that is too low.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((max + 1000)) ] \
  || { echo "bench: ulimit -n is $(ulimit -n), too low for $max endpoints" >&2; exit 1; }
# The port range must be ours alone and outside the ephemeral range (connects would collide).
read -r eph_lo _ </proc/sys/net/ipv4/ip_local_port_range
[ $((first + max - 1)) -lt "$eph_lo" ] || { echo "bench: ports $first..$((first + max - 1)) reach the ephemeral range ($eph_lo..)" >&2; exit 1; }
taken=$(ss -Hltn | awk -v a="$addr" -v lo="$first" -v hi=$((first + max - 1)) \
  '{ n = split($4, p, ":"); port = p[n]; host = substr($4, 1, length($4) - length(port) - 1)
     if ((host == a || host == "0.0.0.0" || host == "*" || host == "[::]") && port >= lo && port <= hi) c++ } END { print c + 0 }')
[ "$taken" -eq 0 ] || { echo "bench: $taken ports of $addr:$first..$((first + max - 1)) are already listened on (ss -ltn)" >&2; exit 1; }

# Build into a private artifacts path: the referenced src/ projects are compiled there too, never
# into src/*/obj, where other people's builds run.
echo "bench: building bench/Regami.Dr.Bench.Probes (Release)…" >&2
dotnet build "$here/bench/Regami.Dr.Bench.Probes" -c Release --nologo -v quiet -clp:ErrorsOnly \
  --artifacts-path "$work/artifacts" >"$art/build.log" 2>&1 || { cat "$art/build.log" >&2; exit 1; }
dll="$work/artifacts/bin/Regami.Dr.Bench.Probes/release/Regami.Dr.Bench.Probes.dll"
commit="$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$here" diff --quiet -- src 2>/dev/null || echo '+dirty')"

for ((p = first, k = 0; p < first + max; p += per_server, k++)); do
  n=$(( first + max - p < per_server ? first + max - p : per_server ))
  dotnet "$dll" servers --address "$addr" --first-port "$p" --count "$n" >"$art/servers-$k.out" 2>&1 &
  srv_pids+=($!)
done
for k in "${!srv_pids[@]}"; do
  for _ in $(seq 1 600); do grep -q '^ready' "$art/servers-$k.out" && break; kill -0 "${srv_pids[$k]}" 2>/dev/null || break; sleep 0.2; done
  grep -q '^ready' "$art/servers-$k.out" || { cat "$art/servers-$k.out" >&2; echo "bench: endpoint server $k did not start" >&2; exit 1; }
  echo "bench: $(head -1 "$art/servers-$k.out")" >&2
done
srv_list="$(IFS=,; echo "${srv_pids[*]}")"

: >"$art/runs.jsonl"
for i in $(seq 1 "$rounds"); do
 for n in $counts; do
  for mode in $modes; do
    flag=""; [ "$mode" = timed ] && flag="--timed"
    ld0=$(cut -d' ' -f1 /proc/loadavg); up0="$(uptime)"; tag="$i-$n-$mode"
    # While it runs: foreign builds/tests (0.5 s samples) and, half-way, the prober's connections.
    ( busy=0; m=0; t0=$(date +%s)
      while :; do
        foreign_busy && busy=$((busy + 1)); m=$((m + 1))
        if [ "$(( $(date +%s) - t0 ))" -ge $(( secs / 2 + 5 )) ] && [ ! -f "$art/conn-$tag" ]; then
          echo "$(ss -Htn state established dst "$addr" | wc -l) $(ss -Htn state time-wait dst "$addr" | wc -l)" >"$art/conn-$tag"
        fi
        echo "$busy $m" >"$art/busy-$tag"; sleep 0.5
      done ) &
    mon_pid=$!
    dotnet "$dll" probe --address "$addr" --first-port "$first" --count "$n" --seconds "$secs" --warmup 5 \
      --interval 1 --threshold 3 --timeout 1 --server-pid "$srv_list" --variant "$variant" $flag >"$art/probe-$tag.json"
    kill "$mon_pid" 2>/dev/null; wait "$mon_pid" 2>/dev/null || true; mon_pid=""
    for k in "${!srv_pids[@]}"; do
      kill -0 "${srv_pids[$k]}" 2>/dev/null || { tail -3 "$art/servers-$k.out" >&2; echo "bench: endpoint server $k died during round $i N=$n $mode; runs so far in $art/runs.jsonl" >&2; exit 1; }
    done
    ld1=$(cut -d' ' -f1 /proc/loadavg)
    read -r busy samples <"$art/busy-$tag"
    read -r est tw <"$art/conn-$tag" 2>/dev/null || { est=null; tw=null; }
    python3 - "$art/probe-$tag.json" "$i" "$mode" "$ld0" "$ld1" "$busy" "$samples" "$est" "$tw" "$up0" >>"$art/runs.jsonl" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r.update(round=int(sys.argv[2]), run=sys.argv[3], load1Start=float(sys.argv[4]), load1End=float(sys.argv[5]),
         foreignBusySamples=int(sys.argv[6]), monitorSamples=int(sys.argv[7]),
         establishedConnections=None if sys.argv[8] == "null" else int(sys.argv[8]),
         timeWaitConnections=None if sys.argv[9] == "null" else int(sys.argv[9]), uptimeStart=sys.argv[10].strip())
print(json.dumps(r))
PY
    tail -1 "$art/runs.jsonl" | python3 -c '
import json, sys
r = json.load(sys.stdin); c = r["cpu"]; lat = r.get("probeLatencyMs") or {}
print("round %s N=%s %s: CPU %.2f %% of one core (%.1f us/probe: %.1f user %.1f sys); tick p50 %s p99 %s ms (probing p50 %s, bookkeeping p50 %s ms); probe p50 %s p99 %s ms; %s B/probe; gc %s; failures %s; server %.2f %%; conns %s est / %s tw; load %s->%s, foreign-busy %s/%s"
      % (r["round"], r["endpoints"], r["run"], c["percentOfOneCore"], c["microsecondsPerProbe"], c["userMicrosecondsPerProbe"], c["systemMicrosecondsPerProbe"],
         r["tickMs"]["p50"], r["tickMs"]["p99"], r["probePhaseMs"]["p50"], r["bookkeepingMs"]["p50"], lat.get("p50"), lat.get("p99"),
         r["allocatedBytesPerProbe"], r["gcCollections"], r["failures"], r["serverCpu"]["percentOfOneCore"], r["establishedConnections"], r["timeWaitConnections"],
         r["load1Start"], r["load1End"], r["foreignBusySamples"], r["monitorSamples"]))' >&2
  done
 done
done

python3 - "$art" "$rounds" "$commit" "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r)" "$counts" "$secs" "$variant" <<'PY'
import json, statistics, sys
art, rounds, commit, machine, counts, secs, variant = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], [int(c) for c in sys.argv[5].split()], float(sys.argv[6]), sys.argv[7]
rs = [json.loads(l) for l in open(f"{art}/runs.jsonl")]
def med(xs):
    xs = [x for x in xs if x is not None]
    return round(statistics.median(xs), 3) if xs else None
def point(n):
    def agg(run, f):
        xs = [f(r) for r in rs if r["run"] == run and r["endpoints"] == n]; return {"median": med(xs), "runs": xs}
    mine = [r for r in rs if r["endpoints"] == n]
    return {
        "endpoints": n,
        "cpuPercentOfOneCore": {"exact": agg("exact", lambda r: r["cpu"]["percentOfOneCore"]), "timed": agg("timed", lambda r: r["cpu"]["percentOfOneCore"])},
        "cpuMicrosecondsPerProbe": agg("exact", lambda r: r["cpu"]["microsecondsPerProbe"]),
        "cpuUserSystemMicrosecondsPerProbe": [[r["cpu"]["userMicrosecondsPerProbe"], r["cpu"]["systemMicrosecondsPerProbe"]] for r in mine if r["run"] == "exact"],
        "tickMs": {"p50": agg("exact", lambda r: r["tickMs"]["p50"]), "p99": agg("exact", lambda r: r["tickMs"]["p99"])},
        "probingPhaseMsP50": agg("exact", lambda r: r["probePhaseMs"]["p50"]),
        "bookkeepingMs": {"p50": agg("exact", lambda r: r["bookkeepingMs"]["p50"]), "p99": agg("exact", lambda r: r["bookkeepingMs"]["p99"])},
        "bookkeepingBytesPerProbe": agg("exact", lambda r: r["bookkeepingBytesPerProbe"]),
        "probeLatencyMs": {"p50": agg("timed", lambda r: r["probeLatencyMs"]["p50"]), "p99": agg("timed", lambda r: r["probeLatencyMs"]["p99"])},
        "allocatedBytesPerProbe": agg("exact", lambda r: r["allocatedBytesPerProbe"]),
        "gcCollections": [r["gcCollections"] for r in mine if r["run"] == "exact"],
        "gcPauseMs": agg("exact", lambda r: r["gcPauseMs"]),
        "threadPoolWorkItemsPerProbe": agg("exact", lambda r: r["threadPoolWorkItemsPerProbe"]),
        "ticks": [r["ticks"] for r in mine if r["run"] == "exact"],
        "failures": [[r["failures"], r["probes"]] for r in mine],
        "failureSamples": [r["failureSamples"] for r in mine if r["failures"]],
        "warmupTickMs": [r["warmupTickMs"] for r in mine],
        "serverCpuPercentOfOneCore": agg("exact", lambda r: r["serverCpu"]["percentOfOneCore"]),
        "connections": [[r["establishedConnections"], r["timeWaitConnections"]] for r in mine],
        "load1": [[r["load1Start"], r["load1End"]] for r in mine],
        "foreignBuildSamples": [[r["foreignBusySamples"], r["monitorSamples"]] for r in mine],
    }
out = {
    "benchmark": "probe-overhead", "rounds": rounds, "machine": machine, "commit": commit, "variant": variant,
    "setup": f"N endpoints = Kestrel servers on N ports (distinct origins, like N hosts; one server process per 2,500 ports); "
             f"prober = Regami.Dr.Server.Controller.ProbingHealthSource over Regami.Dr.Probes.HttpHealthProber(1 s, its own health-check client: no redirects, no proxy, a new connection per probe) + Regami.Dr.Core.Controller.RegionHealth(3, 0.5), "
             f"every target in parallel each 1 s tick, {secs:.0f} s measured after 5 warm-up ticks; separate processes",
    "goal": "10,000 endpoints every second in <= 15 % of one core",
    "curve": [point(n) for n in counts],
    "uptimeAtStart": [r["uptimeStart"] for r in rs],
    "runtime": rs[0]["runtime"] if rs else None,
    "artifacts": art,
}
print(json.dumps(out, indent=1))
PY
