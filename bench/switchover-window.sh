#!/usr/bin/env bash
# The write-unavailability window of a planned switchover, as a client sees it: a writer posts
# to the public name continuously (fresh DNS lookup per request); window = first refused or
# failed write → first accepted write after the last failure. Each round switches over and
# back (both directions measured). Also: the runbook's own step timings and its own window
# (stop-writes start → verify-public-write end), and acknowledged writes lost (every acked
# seq must be on the new primary; checked with psql over TCP) — must be 0.
# Usage: bench/switchover-window.sh [rounds]   (default 5). JSON on stdout, progress on stderr.
set -euo pipefail
bench_name=switchover-window
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
rounds="${1:-5}"

echo "bench: lab up ($net.x)…" >&2
cli lab up >/dev/null 2>"$art/lab-up.stderr"

: >"$art/runs.jsonl"
n=0
for i in $(seq 1 "$rounds"); do
  for dir in there back; do
    n=$((n + 1))
    wait_steady 120
    read -r from _ < <(status_line)
    log="$art/writer-$n.jsonl"
    quiet_gate
    start_writer "$log" $(( n * 1000000 ))
    sleep 1
    ld=$(load1)
    t0=$(now)
    run_runbook "switchover $n" "$art/switchover-$n.json" switchover
    t1=$(now)
    quiet_end
    sleep 2
    stop_writer
    read -r to host _ < <(status_line)
    win=$(bl window --log "$log" --start "$t0" --end "$t1")
    lost=$(bl lost --log "$log" --host "$host")
    python3 - "$art/switchover-$n.json" "$t0" "$t1" "$win" "$lost" "$i" "$dir" "$from" "$to" "$ld" "$busy_during" >>"$art/runs.jsonl" <<'PY'
import json, sys
from datetime import datetime
r = json.load(open(sys.argv[1])); t0, t1 = float(sys.argv[2]), float(sys.argv[3])
w = json.loads(sys.argv[4]); l = json.loads(sys.argv[5])
steps = {s["name"]: s for s in r["steps"]}
ts = lambda x: datetime.fromisoformat(x).timestamp()
own = ts(steps["verify-public-write"]["finishedAt"]) - ts(steps["stop-writes"]["startedAt"])
print(json.dumps({"round": int(sys.argv[6]), "direction": sys.argv[7], "from": sys.argv[8], "to": sys.argv[9],
                  "outcome": r["outcome"], "clientWindow": w["window"], "client": w, "runbookWindow": round(own, 3),
                  "stopWritesAt": round(ts(steps["stop-writes"]["startedAt"]) - t0, 3), "commandWall": round(t1 - t0, 3), "lost": l, "load1": float(sys.argv[10]), "busySamplesDuring": int(sys.argv[11])}))
PY
    tail -1 "$art/runs.jsonl" | python3 -c '
import json, sys
x = json.loads(sys.stdin.read()); c = x["client"]; l = x["lost"]
print("switchover {0} -> {1} (round {2} {3}): {4}, command {5:.2f} s; client window {6} s ({7} failed writes, first at +{8} s; "
      "stop-writes at +{9} s); runbook window {10} s; acknowledged writes lost {11} of {12}".format(
      x["from"], x["to"], x["round"], x["direction"], x["outcome"], x["commandWall"], c["window"], c["failed"],
      c["firstFailed"], x["stopWritesAt"], x["runbookWindow"], l["lost"], l["acked"]))' >&2
  done
done

python3 - "$art" "$(machine)" "$commit" "$rounds" <<PY
import json, sys
sys.path.insert(0, "$here/bench/lib")
import benchlib as b
art, machine, commit, rounds = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
runs = [json.loads(l) for l in open(f"{art}/runs.jsonl")]
results = [json.load(open(f"{art}/switchover-{k}.json")) for k in range(1, len(runs) + 1)]
def agg(key, sel=lambda x: True):
    v = [x[key] for x in runs if sel(x)]
    return {"median": b.median(v), "runs": v}
out = {"benchmark": "switchover-window", "rounds": rounds, "switchovers": len(runs), "machine": machine, "commit": commit,
       "clientWindowSeconds": agg("clientWindow"),
       "clientWindowByDirection": {d: agg("clientWindow", lambda x, d=d: x["direction"] == d) for d in ("there", "back")},
       "runbookWindowSeconds": agg("runbookWindow"),
       "failedWrites": [x["client"]["failed"] for x in runs],
       "failedBursts": [x["client"]["bursts"] for x in runs],
       "ackedWrites": [x["lost"]["acked"] for x in runs],
       "ackedWritesLost": sum(x["lost"]["lost"] for x in runs),
       "lostSeqs": [s for x in runs for s in x["lost"]["lostSeqs"]],
       "load1AtStart": [x["load1"] for x in runs],
       "foreignBuildSamplesDuring": [x["busySamplesDuring"] for x in runs],
       "directions": [f"{x['from']}->{x['to']}" for x in runs],
       "runbook": b.summarize_runs(results, [x["commandWall"] for x in runs])}
print(json.dumps(out, indent=1))
print(f"acknowledged writes lost: {out['ackedWritesLost']} (of {sum(out['ackedWrites'])} acknowledged)", file=sys.stderr)
PY
