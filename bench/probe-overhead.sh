#!/usr/bin/env bash
# Probe overhead: CPU used by the controller's prober probing 1,000 local endpoints every second
# (goal ≤ 10 % of one core). Two processes (bench/Regami.Dr.Bench.Probes):
#   servers  one Kestrel server listening on 1,000 ports of $PROBE_ADDR (distinct origins, so the
#            prober keeps 1,000 connection pools / keep-alive connections, as with 1,000 real hosts)
#   probe    the real HttpHealthProber + RegionHealth, all targets in parallel each 1 s tick, as
#            ControllerLoop does, for $SECONDS_PER_RUN s after 5 warm-up ticks; CPU time of that
#            process (Process.TotalProcessorTime) / wall time = percent of one core.
# Per round: one "exact" run (the controller's loop unchanged: headline CPU and tick duration) and
# one "timed" run (a Stopwatch around each ProbeAsync: per-probe latency p50/p99).
# Usage: bench/probe-overhead.sh [rounds]   (default 3). JSON on stdout, progress on stderr.
# Env: PROBE_ADDR (default 127.0.70.9), FIRST_PORT (20000), COUNT (1000), SECONDS_PER_RUN (60).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
rounds="${1:-3}"
addr="${PROBE_ADDR:-127.0.70.9}"; first="${FIRST_PORT:-20000}"; count="${COUNT:-1000}"; secs="${SECONDS_PER_RUN:-60}"
work="$(mktemp -d /tmp/regami-bench-probes.XXXXXX)"
art="/tmp/regami-bench-probe-overhead-$(date +%Y%m%dT%H%M%S)"; mkdir -p "$art"
srv_pid=""; mon_pid=""
cleanup() {
  [ -n "$mon_pid" ] && kill "$mon_pid" 2>/dev/null || true
  if [ -n "$srv_pid" ]; then kill "$srv_pid" 2>/dev/null || true; wait "$srv_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
foreign_busy() { pgrep -f 'MSBuild\.dll|vstest\.console|testhost|bincore/csc|dotnet (build|test)' >/dev/null; }

# Build into a private artifacts path: the referenced src/ projects are compiled there too, never
# into src/*/obj, where other people's builds run.
echo "bench: building bench/Regami.Dr.Bench.Probes (Release)…" >&2
dotnet build "$here/bench/Regami.Dr.Bench.Probes" -c Release --nologo -v quiet -clp:ErrorsOnly \
  --artifacts-path "$work/artifacts" >"$art/build.log" 2>&1 || { cat "$art/build.log" >&2; exit 1; }
dll="$work/artifacts/bin/Regami.Dr.Bench.Probes/release/Regami.Dr.Bench.Probes.dll"
commit="$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$here" diff --quiet -- src 2>/dev/null || echo '+dirty')"

dotnet "$dll" servers --address "$addr" --first-port "$first" --count "$count" >"$art/servers.out" 2>&1 &
srv_pid=$!
for _ in $(seq 1 150); do grep -q '^ready' "$art/servers.out" && break; kill -0 "$srv_pid" 2>/dev/null || break; sleep 0.2; done
grep -q '^ready' "$art/servers.out" || { cat "$art/servers.out" >&2; echo "bench: the endpoint server did not start" >&2; exit 1; }
echo "bench: $(head -1 "$art/servers.out")" >&2

: >"$art/runs.jsonl"
for i in $(seq 1 "$rounds"); do
  for mode in exact timed; do
    flag=""; [ "$mode" = timed ] && flag="--timed"
    ld0=$(cut -d' ' -f1 /proc/loadavg); up0="$(uptime)"
    # While it runs: foreign builds/tests (0.5 s samples) and, half-way, the prober's connections.
    ( busy=0; n=0; t0=$(date +%s)
      while :; do
        foreign_busy && busy=$((busy + 1)); n=$((n + 1))
        if [ "$(( $(date +%s) - t0 ))" -ge $(( secs / 2 + 5 )) ] && [ ! -f "$art/conn-$i-$mode" ]; then
          echo "$(ss -Htn state established dst "$addr" | wc -l) $(ss -Htn state time-wait dst "$addr" | wc -l)" >"$art/conn-$i-$mode"
        fi
        echo "$busy $n" >"$art/busy-$i-$mode"; sleep 0.5
      done ) &
    mon_pid=$!
    dotnet "$dll" probe --address "$addr" --first-port "$first" --count "$count" --seconds "$secs" --warmup 5 \
      --interval 1 --threshold 3 --timeout 1 --server-pid "$srv_pid" $flag >"$art/probe-$i-$mode.json"
    kill "$mon_pid" 2>/dev/null; wait "$mon_pid" 2>/dev/null || true; mon_pid=""
    ld1=$(cut -d' ' -f1 /proc/loadavg)
    read -r busy samples <"$art/busy-$i-$mode"
    read -r est tw <"$art/conn-$i-$mode" 2>/dev/null || { est=null; tw=null; }
    python3 - "$art/probe-$i-$mode.json" "$i" "$mode" "$ld0" "$ld1" "$busy" "$samples" "$est" "$tw" "$up0" >>"$art/runs.jsonl" <<'PY'
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
print("round %s %s: CPU %.2f %% of one core (%.3f s user %.3f s sys, %.1f us/probe); tick p50 %s ms p99 %s ms; probe p50 %s p99 %s ms; failures %s; server %.2f %%; conns %s est / %s tw; load %s->%s, foreign-busy %s/%s"
      % (r["round"], r["run"], c["percentOfOneCore"], c["userSeconds"], c["systemSeconds"], c["microsecondsPerProbe"], r["tickMs"]["p50"], r["tickMs"]["p99"],
         lat.get("p50"), lat.get("p99"), r["failures"], r["serverCpu"]["percentOfOneCore"], r["establishedConnections"], r["timeWaitConnections"],
         r["load1Start"], r["load1End"], r["foreignBusySamples"], r["monitorSamples"]))' >&2
  done
done

python3 - "$art" "$rounds" "$commit" "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r)" "$count" "$secs" <<'PY'
import json, statistics, sys
art, rounds, commit, machine, count, secs = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
rs = [json.loads(l) for l in open(f"{art}/runs.jsonl")]
def med(xs):
    xs = [x for x in xs if x is not None]
    return round(statistics.median(xs), 3) if xs else None
def agg(run, f):
    xs = [f(r) for r in rs if r["run"] == run]; return {"median": med(xs), "runs": xs}
out = {
    "benchmark": "probe-overhead", "rounds": rounds, "machine": machine, "commit": commit,
    "setup": f"{count} endpoints = one Kestrel server on {count} ports (distinct origins, like {count} hosts); "
             f"prober = Regami.Dr.Probes.HttpHealthProber(1 s, its own health-check client: no redirects, no proxy, a new connection per probe) + Regami.Dr.Core.Controller.RegionHealth(3, 0.5), "
             f"Task.WhenAll over all targets each 1 s tick, {secs:.0f} s measured after 5 warm-up ticks; separate processes",
    "goalPercentOfOneCore": 10,
    "cpuPercentOfOneCore": {"exact": agg("exact", lambda r: r["cpu"]["percentOfOneCore"]), "timed": agg("timed", lambda r: r["cpu"]["percentOfOneCore"])},
    "cpuMicrosecondsPerProbe": agg("exact", lambda r: r["cpu"]["microsecondsPerProbe"]),
    "cpuUserSystemSeconds": [[r["cpu"]["userSeconds"], r["cpu"]["systemSeconds"]] for r in rs if r["run"] == "exact"],
    "tickMs": {"p50": agg("exact", lambda r: r["tickMs"]["p50"]), "p99": agg("exact", lambda r: r["tickMs"]["p99"]), "max": agg("exact", lambda r: r["tickMs"]["max"])},
    "probeLatencyMs": {"p50": agg("timed", lambda r: r["probeLatencyMs"]["p50"]), "p99": agg("timed", lambda r: r["probeLatencyMs"]["p99"])},
    "warmupTickMs": [r["warmupTickMs"] for r in rs],
    "failures": [r["failures"] for r in rs],
    "serverCpuPercentOfOneCore": agg("exact", lambda r: r["serverCpu"]["percentOfOneCore"]),
    "allocatedBytesPerTick": agg("exact", lambda r: r["allocatedBytesPerTick"]),
    "gcCollections": [r["gcCollections"] for r in rs],
    "establishedConnections": [r["establishedConnections"] for r in rs], "timeWaitConnections": [r["timeWaitConnections"] for r in rs],
    "load1": [[r["load1Start"], r["load1End"]] for r in rs], "uptimeAtStart": [r["uptimeStart"] for r in rs],
    "foreignBuildSamples": [[r["foreignBusySamples"], r["monitorSamples"]] for r in rs],
    "runtime": rs[0]["runtime"] if rs else None,
    "artifacts": art,
}
print(json.dumps(out, indent=1))
PY
