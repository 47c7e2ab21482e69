#!/usr/bin/env bash
# Failover and failback, step by step: lab up once, then per round `failover --yes` and
# `failback --yes`, each under a client that writes to the public name continuously.
# Prints JSON: per-step medians (and every run) for both runbooks, the totals, and the
# client-observed RTO of each failover (command start → first acknowledged write after the
# last failed one), plus the same client view of each failback and acknowledged writes lost.
# The failover here is a manual failover of a *healthy* primary (no fault injected).
# Usage: bench/failover-breakdown.sh [rounds]   (default 5). Progress on stderr.
set -euo pipefail
bench_name=failover-breakdown
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
rounds="${1:-5}"

echo "bench: lab up ($net.x)…" >&2
cli lab up >/dev/null 2>"$art/lab-up.stderr"
wait_steady 60

fo_files=(); fb_files=(); fo_walls=(); fb_walls=()
: >"$art/client.jsonl"
for i in $(seq 1 "$rounds"); do
  for phase in failover failback; do
    if [ "$phase" = failover ]; then wait_steady 120; else wait_steady 60 primary-only; fi
    log="$art/writer-$phase-$i.jsonl"
    if [ "$phase" = failover ]; then k=1; else k=2; fi
    quiet_gate
    start_writer "$log" $(( (i * 10 + k) * 1000000 ))
    sleep 1
    ld=$(load1)
    t0=$(now)
    run_runbook "$phase $i" "$art/$phase-$i.json" "$phase"
    t1=$(now)
    quiet_end
    sleep 3   # the writer keeps going: recovery must hold
    stop_writer
    read -r region host _ < <(status_line)
    win=$(bl window --log "$log" --start "$t0" --end "$t1")
    lost=$(bl lost --log "$log" --host "$host")
    echo "{\"phase\": \"$phase\", \"round\": $i, \"load1\": $ld, \"quietWaited\": $quiet_waited, \"busySamplesDuring\": $busy_during, \"newPrimary\": \"$region\", \"client\": $win, \"lost\": $lost}" >>"$art/client.jsonl"
    wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", b - a}')
    if [ "$phase" = failover ]; then fo_files+=("$art/$phase-$i.json"); fo_walls+=("$wall"); else fb_files+=("$art/$phase-$i.json"); fb_walls+=("$wall"); fi
    python3 - "$art/$phase-$i.json" "$wall" "$win" "$lost" "$phase" "$i" "$ld $busy_during" >&2 <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); w = json.loads(sys.argv[3]); l = json.loads(sys.argv[4])
def sec(ts):
    h, m, s = ts.split(":"); return int(h) * 3600 + int(m) * 60 + float(s)
steps = ", ".join(f"{s['name']} {sec(s['duration']):.2f}" for s in r["steps"])
print(f"round {sys.argv[6]} {sys.argv[5]}: {r['outcome']} in {sec(r['duration']):.2f} s (command {float(sys.argv[2]):.2f} s); "
      f"load/foreign-busy samples {sys.argv[7]}; client: {w['failed']} failed writes, RTO {w['rto']} s, window {w['window']} s; acked lost {l['lost']}/{l['acked']}\n  {steps}")
PY
  done
done

python3 - "$art" "$rounds" "$(machine)" "$commit" "$(IFS=,; echo "${fo_walls[*]}")" "$(IFS=,; echo "${fb_walls[*]}")" <<PY
import json, sys
sys.path.insert(0, "$here/bench/lib")
import benchlib as b
art, rounds, machine, commit = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
walls = {"failover": [float(x) for x in sys.argv[5].split(",")], "failback": [float(x) for x in sys.argv[6].split(",")]}
client = [json.loads(l) for l in open(f"{art}/client.jsonl")]
out = {"benchmark": "failover-breakdown", "rounds": rounds, "machine": machine, "commit": commit,
       "note": "manual failover of a healthy primary (no fault injected); RTO = failover command start -> first acknowledged write after the last failed one"}
for phase in ("failover", "failback"):
    runs = [json.load(open(f"{art}/{phase}-{i}.json")) for i in range(1, rounds + 1)]
    s = b.summarize_runs(runs, walls[phase])
    c = [x for x in client if x["phase"] == phase]
    s["client"] = {
        "rto": {"median": b.median([x["client"]["rto"] for x in c]), "runs": [x["client"]["rto"] for x in c]},
        "window": {"median": b.median([x["client"]["window"] for x in c]), "runs": [x["client"]["window"] for x in c]},
        "failedWrites": [x["client"]["failed"] for x in c],
        "attempts": [x["client"]["attempts"] for x in c],
        "ackedLost": [x["lost"]["lost"] for x in c],
        "acked": [x["lost"]["acked"] for x in c],
        "errors": [x["client"].get("errors", {}) for x in c],
        "load1AtStart": [x["load1"] for x in c],
        "foreignBuildSamplesDuring": [x["busySamplesDuring"] for x in c],
    }
    out[phase] = s
print(json.dumps(out, indent=1))
PY
