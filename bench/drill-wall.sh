#!/usr/bin/env bash
# The whole drill, wall clock: `regami-dr drill --scenario $SCENARIO` on a stopped lab, so every
# round is lab up → workload → fault → the controller's failover → checks → failback → report →
# lab down (issue 12 item 4: ≤ 20 s). The build is excluded (a private copy of the CLI, built
# before the first round). Per round it prints the wall time, the drill's own RTO and overhead,
# and where the wall time went, from the report's timeline (each mark → the next one; the last
# segment, "report + lab down", is the last mark → the process's exit).
#
# Usage: bench/drill-wall.sh [rounds]   (default 5). JSON on stdout, progress on stderr.
# Env: BENCH_NET (default 127.0.71), SCENARIO (region-outage), PREWARM (controller.prewarmOnSuspect,
#      default true: the lab default since ec1f288), QUIET_WAIT (s to wait for other builds/tests, default 120).
set -euo pipefail
bench_name=drill-wall
export BENCH_NET="${BENCH_NET:-127.0.71}"
export QUIET_WAIT="${QUIET_WAIT:-120}"
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
rounds="${1:-5}"
scenario="${SCENARIO:-region-outage}"
prewarm="${PREWARM:-true}"
cat >"$work/lab.yaml" <<YAML
lab:
  addresses: { eu-west-3: $net.2, eu-central-1: $net.3 }
  dns: { address: $net.1 }
controller: { prewarmOnSuspect: ${prewarm} }
YAML

results="$work/results.jsonl"; : >"$results"
for i in $(seq 1 "$rounds"); do
  cli lab down --purge >/dev/null 2>&1 || true
  quiet_gate
  load_before=$(load1)
  t0=$(now)
  set +e
  cli drill --scenario "$scenario" --output json >"$art/round-$i.json" 2>"$art/round-$i.stderr"
  rc=$?
  set -e
  t1=$(now)
  quiet_end
  python3 - "$art/round-$i.json" "$t0" "$t1" "$rc" "$i" "$load_before" "$busy_during" "$quiet_waited" >>"$results" <<'PY'
import json, sys, datetime
path, t0, t1, rc, i, load, busy, waited = sys.argv[1:]
t0, t1 = float(t0), float(t1)
try:
    r = json.load(open(path))
except Exception as e:
    print(json.dumps({"round": int(i), "exitCode": int(rc), "wallSeconds": round(t1 - t0, 2), "error": f"no report: {e}"})); sys.exit(0)
def ts(s): return datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
tl = [(ts(e["at"]), e["event"]) for e in r.get("timeline", [])]
segments = []
prev_t, prev_name = t0, "process start → first mark (CLI start-up)"
for t, ev in tl:
    segments.append({"from": prev_name[:70], "seconds": round(t - prev_t, 2)})
    prev_t, prev_name = t, ev
segments.append({"from": prev_name[:70] + " (→ exit: report + lab down)", "seconds": round(t1 - prev_t, 2)})
m = r.get("measured", {})
print(json.dumps({"round": int(i), "exitCode": int(rc), "passed": r.get("passed"), "wallSeconds": round(t1 - t0, 2),
                  "rtoSeconds": m.get("rtoSeconds"), "overheadSeconds": (m.get("overhead") or {}).get("seconds"),
                  "lost": m.get("lostAcknowledgedWrites"), "load1Before": float(load), "foreignBusySamples": int(busy),
                  "quietWaitSeconds": int(waited), "segments": segments}))
PY
  tail -1 "$results" | python3 -c 'import json,sys; d=json.load(sys.stdin); print("bench: round %s: wall %s s, exit %s, RTO %s s, overhead %s s" % (d["round"], d["wallSeconds"], d["exitCode"], d.get("rtoSeconds"), d.get("overheadSeconds")), file=sys.stderr)'
done

python3 - "$results" "$scenario" "$prewarm" "$commit" "$(machine)" <<'PY'
import json, sys, statistics
path, scenario, prewarm, commit, machine = sys.argv[1:]
runs = [json.loads(l) for l in open(path)]
def med(xs):
    xs = [x for x in xs if x is not None]
    return round(statistics.median(xs), 2) if xs else None
walls = [r["wallSeconds"] for r in runs if r.get("exitCode") == 0]
# Segment medians by position (every passing round has the same marks in the same order).
ok = [r for r in runs if r.get("exitCode") == 0 and "segments" in r]
segs = []
if ok:
    n = min(len(r["segments"]) for r in ok)
    for k in range(n):
        segs.append({"from": ok[0]["segments"][k]["from"], "medianSeconds": med([r["segments"][k]["seconds"] for r in ok])})
print(json.dumps({"benchmark": "drill-wall", "scenario": scenario, "prewarmOnSuspect": prewarm == "true", "commit": commit,
                  "machine": machine, "rounds": len(runs), "passedRounds": len(walls),
                  "wallSeconds": {"median": med(walls), "min": min(walls) if walls else None, "max": max(walls) if walls else None},
                  "rtoSeconds": {"median": med([r.get("rtoSeconds") for r in ok])},
                  "overheadSeconds": {"median": med([r.get("overheadSeconds") for r in ok])},
                  "segments": segs, "runs": runs}, indent=1))
PY
