#!/usr/bin/env bash
# Automatic failover, end to end: lab up once WITH the controller (`regami-dr monitor`), then per
# round a client writes to the public name continuously (DNS lookup of api.regami.test through
# the lab DNS on every request, POST /api/records, 1 s timeouts, ~30 writes/s), the primary's
# postmaster is SIGKILLed (`lab fault kill-db`), and nobody touches anything: the controller
# detects the outage and runs the failover runbook by itself.
#
# Measured per round (all on this machine's clock):
#   rto          kill → the first acknowledged write of the final unbroken run of acks (client)
#   detection    kill → the controller's audit event controller.decision/outcome=failover
#   dispatch     decision → the failover run's startedAt (journal)
#   runbook      the run's total and per-step durations (`runbook show ID -o json`)
#   tail         run finished → the client's recovery (negative: the client recovered first)
#   lost         acknowledged writes missing on the new primary (async replication + kill -9)
# Then the original roles are restored with `failback --yes` and the next round waits until the
# lab is steady again and the controller's cooldown has passed.
#
# Restore detail (see bench/RESULTS.md): the controller keeps running through the failback
# (RESTORE_WITH_CONTROLLER=1, the default). Before 31b193a it failed over again the moment the
# failback ended (its health state for the home region still carried the outage: `recovering:
# 2/3 passed checks`, and the failback ends the cooldown); every automatic failover that starts
# after a failback is counted as "spuriousFailoversAfterFailback" and repaired (controller
# stopped by its pid, failback, `lab up`). RESTORE_WITH_CONTROLLER=0 stops the controller for
# every failback and restarts it with `lab up` (a fresh controller each round).
#
# Usage: bench/auto-failover-rto.sh [rounds]   (default 5). JSON on stdout, progress on stderr.
# Env: BENCH_NET (default 127.0.70), COOLDOWN (controller.cooldownSeconds, default 5),
#      PREWARM (controller.prewarmOnSuspect: true (default) or false, for the before/after of the pre-warm),
#      STANDBY_INSTANCES (compute.standbyInstances, default 0 = cold standby; 1 = warm),
#      WRITER_INTERVAL (s between request starts, default 0.03), QUIET_WAIT (s, default 120).
set -euo pipefail
bench_name=auto-failover-rto
export BENCH_NET="${BENCH_NET:-127.0.70}"
export QUIET_WAIT="${QUIET_WAIT:-120}"
source "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
rounds="${1:-5}"
cooldown="${COOLDOWN:-5}"
interval="${WRITER_INTERVAL:-0.03}"
restore_with_controller="${RESTORE_WITH_CONTROLLER:-1}"
prewarm="${PREWARM:-true}"
standby_instances="${STANDBY_INSTANCES:-0}"   # 1 = a warm standby (compute.standbyInstances)

# The bench config: common.sh's addresses plus a short controller cooldown (defaults otherwise:
# controller interval 1 s, health check interval 1 s, threshold 3, timeout 1 s).
cat >"$work/lab.yaml" <<YAML
lab:
  addresses: { eu-west-3: $net.2, eu-central-1: $net.3 }
  dns: { address: $net.1 }
controller: { cooldown: ${cooldown}s, prewarmOnSuspect: ${prewarm} }
compute: { standbyInstances: ${standby_instances} }
YAML

echo "bench: lab up ($net.x, controller cooldown ${cooldown} s, pre-warm ${prewarm})…" >&2
cli lab up >/dev/null 2>"$art/lab-up.stderr"
ctl_url="$(status_json | python3 -c 'import json,sys; print(json.load(sys.stdin)["controller"]["url"])')"
echo "bench: controller at $ctl_url" >&2
# ctl, ctl_get and wait_controller_calm (the controller's API at $ctl_url) come from lib/common.sh.

# Stops the lab's controller (a process this bench's `lab up` started) by its pid, gracefully.
stop_controller() {
  local owner pid
  owner="$(ctl_get 'd["owner"]')"; pid="${owner##* }"
  if ! [[ "$pid" =~ ^[0-9]+$ ]] || ! tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "monitor --state-dir $work/state"; then
    echo "bench: cannot identify the controller's pid (owner '$owner')" >&2; return 1
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  echo "bench: controller pid $pid did not stop in 10 s" >&2; return 1
}

wait_steady 60
wait_controller_calm 60
: >"$art/rounds.jsonl"
for i in $(seq 1 "$rounds"); do
  wait_steady 120
  wait_controller_calm 60
  read -r primary phost _ < <(status_line)
  prev_run="$(ctl_get 'd["lastFailoverRun"]')"
  log="$art/writer-$i.jsonl"; : >"$log"
  quiet_gate
  python3 "$here/bench/lib/benchlib.py" writer --dns "$dns" --seq-start $(( i * 1000000 )) --out "$log" \
    --interval "$interval" --timeout 1 &
  writer_pid=$!
  for _ in $(seq 1 100); do grep -q '"status": 201' "$log" && break; sleep 0.1; done
  grep -q '"status": 201' "$log" || { echo "bench: the writer got no ack in 10 s" >&2; tail -3 "$log" >&2; exit 1; }
  sleep 2
  ld=$(load1); uptime_line="$(uptime)"
  echo "bench: round $i: kill -9 the postmaster of $primary ($phost); $uptime_line" >&2
  tk0=$(now)
  cli lab fault kill-db --region "$primary" -o json >"$art/fault-$i.json"
  tk1=$(now)
  # Wait (curl only: cheap, unlike a CLI call) until the controller has finished a new failover.
  run=""; t0=$(date +%s)
  while :; do
    r="$(ctl_get 'd["lastFailoverRun"]')"; running="$(ctl_get 'd["runningFailover"]')"
    if [ "$r" != "-" ] && [ "$r" != "$prev_run" ] && [ "$running" = "-" ]; then run="$r"; break; fi
    if [ $(( $(date +%s) - t0 )) -ge 120 ]; then echo "bench: no finished automatic failover 120 s after the kill" >&2; break; fi
    sleep 0.25
  done
  # Let the client run until it has 3 s of unbroken acks (max 30 s more).
  python3 - "$log" <<'PY' || true
import json, sys, time
end = time.time() + 30
while time.time() < end:
    L = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
    tail = []
    for r in reversed(L):
        if r["status"] != 201: break
        tail.append(r)
    if tail and tail[0]["t1"] - tail[-1]["t0"] >= 3: break
    time.sleep(0.5)
PY
  stop_writer
  quiet_end
  [ -n "$run" ] || { cli runbook list -o json >"$art/runbooks-$i.json" || true; exit 1; }
  cli runbook show "$run" -o json >"$art/run-$i.json"
  cli audit list --since "$(python3 -c "import datetime,sys; print(datetime.datetime.fromtimestamp($tk0 - 5, datetime.timezone.utc).isoformat())")" -o json >"$art/audit-$i.json"
  # `status` may time out on a loaded machine (it printed "-"): ask again rather than lose the round.
  for _ in 1 2 3 4 5; do read -r newprim nhost _ < <(status_line || echo "- - -"); [ "$nhost" != "-" ] && break; sleep 1; done
  lost=$(bl lost --log "$log" --host "$nhost")
  busy_kill=$busy_during

  # Restore the original roles.
  wait_steady 60 primary-only
  [ "$restore_with_controller" = 1 ] || stop_controller
  tb0=$(now)
  run_runbook "failback $i" "$art/failback-$i.json" failback
  tb1=$(now)
  if [ "$restore_with_controller" = 1 ]; then sleep 8; else cli lab up >/dev/null 2>>"$art/lab-up.stderr"; fi
  spurious=$(cli runbook list -o json | python3 -c '
import json, sys
from datetime import datetime
t = float(sys.argv[1])
print(sum(1 for r in json.load(sys.stdin) if r["kind"] == "failover" and datetime.fromisoformat(r["startedAt"]).timestamp() > t))' "$tb0")
  if [ "$spurious" != 0 ]; then
    echo "bench: round $i: $spurious automatic failover(s) started after the failback; repairing (controller stopped, failback, lab up)" >&2
    cli audit list --since "$(python3 -c "import datetime; print(datetime.datetime.fromtimestamp($tb0, datetime.timezone.utc).isoformat())")" -o json >"$art/audit-after-failback-$i.json" || true
    for _ in $(seq 1 120); do [ "$(ctl_get 'd["runningFailover"]')" = "-" ] && break; sleep 0.5; done
    wait_steady 60 primary-only
    stop_controller
    run_runbook "repair failback $i" "$art/failback-repair-$i.json" failback
    cli lab up >/dev/null 2>>"$art/lab-up.stderr"
  fi

  python3 - "$art" "$i" "$tk0" "$tk1" "$ld" "$quiet_waited" "$busy_kill" "$primary" "$newprim" "$lost" "$tb0" "$tb1" "$spurious" "$uptime_line" >>"$art/rounds.jsonl" <<'PY'
import json, sys
from datetime import datetime
art, i = sys.argv[1], sys.argv[2]
tk0, tk1, load1 = float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
ts = lambda s: datetime.fromisoformat(s).timestamp() if s else None
def sec(d):
    if d is None: return None
    h, m, s = d.split(":"); return int(h) * 3600 + int(m) * 60 + float(s)
fault = json.load(open(f"{art}/fault-{i}.json"))
kill = ts(fault["at"])             # taken by `lab fault` right before its SIGKILL
run = json.load(open(f"{art}/run-{i}.json"))
run = run[0] if isinstance(run, list) else run
audit = json.load(open(f"{art}/audit-{i}.json"))
decisions = [ts(e["entry"]["at"]) for e in audit
             if e["entry"]["action"] == "controller.decision" and e["entry"]["outcome"] == "failover" and ts(e["entry"]["at"]) > kill]
decision = decisions[0] if decisions else None
log = [json.loads(l) for l in open(f"{art}/writer-{i}.jsonl") if l.strip()]
att = sorted((r for r in log if r["t0"] >= kill - 0.001), key=lambda r: r["t0"])
# First ack of the final unbroken run of acks.
k = len(att)
while k > 0 and att[k - 1]["status"] == 201: k -= 1
recovered = att[k] if k < len(att) else None
failed = [r for r in att if r["status"] != 201]
first_fail = failed[0] if failed else None
errs = {}
for r in failed:
    key = f'{r["status"]} {(r.get("err") or "")[:60]}'
    errs[key] = errs.get(key, 0) + 1
started, finished = ts(run["startedAt"]), ts(run.get("finishedAt"))
fb = json.load(open(f"{art}/failback-{i}.json"))
r3 = lambda x: None if x is None else round(x, 3)
out = {
    "round": int(i), "load1": load1, "uptime": sys.argv[14].strip(), "quietWaited": int(sys.argv[6]), "foreignBuildSamplesDuring": int(sys.argv[7]),
    "from": sys.argv[8], "to": sys.argv[9], "run": run.get("id") or run.get("runId"), "outcome": run["outcome"],
    "faultCommandSeconds": r3(tk1 - tk0), "killOffsetInFaultCommand": r3(kill - tk0),
    "rto": r3(recovered["t1"] - kill) if recovered else None,
    "firstFailedAfterKill": r3(first_fail["t0"] - kill) if first_fail else None,
    "detection": r3(decision - kill) if decision else None,
    "dispatch": r3(started - decision) if decision else None,
    "killToRunStart": r3(started - kill),
    "runbook": r3(finished - started) if finished else None,
    "killToRunEnd": r3(finished - kill) if finished else None,
    "tail": r3(recovered["t1"] - finished) if recovered and finished else None,
    # The part that is ours: RTO - detection - DNS TTL (1 s on the lab); the client's first request is left in (conservative).
    "overhead": r3(recovered["t1"] - kill - (decision - kill) - 1.0) if recovered and decision else None,
    "steps": {s["name"]: r3(sec(s.get("duration"))) for s in run["steps"]},
    "stepOutcomes": {s["name"]: s["outcome"] for s in run["steps"]},
    "client": {"attempts": len(att), "failed": len(failed), "errors": dict(sorted(errs.items(), key=lambda kv: -kv[1])[:4]),
               "recoveredVia": recovered.get("addr") if recovered else None},
    "lost": json.loads(sys.argv[10]),
    "failback": {"outcome": fb["outcome"], "seconds": r3(float(sys.argv[12]) - float(sys.argv[11])), "runbook": r3(sec(fb["duration"]))},
    "spuriousFailoversAfterFailback": int(sys.argv[13]),
}
print(json.dumps(out))
PY
  tail -1 "$art/rounds.jsonl" | python3 -c '
import json, sys
r = json.load(sys.stdin); c = r["client"]; l = r["lost"]
print("round %s: %s %s->%s; RTO %s s (detection %s, dispatch %s, runbook %s, tail %s; overhead %s); %s failed writes; acked lost %s/%s; load %s, foreign-busy %s; failback %s s"
      % (r["round"], r["outcome"], r["from"], r["to"], r["rto"], r["detection"], r["dispatch"], r["runbook"], r["tail"], r["overhead"], c["failed"],
         l["lost"], l["acked"], r["load1"], r["foreignBuildSamplesDuring"], r["failback"]["seconds"]))
print("  " + ", ".join("%s %s" % kv for kv in r["steps"].items()))' >&2

  # The next round: steady lab, calm controller, and at least the cooldown since the failover.
  wait_steady 120
  wait_controller_calm 60 || true
  sleep "$(python3 -c "print(max(0, $cooldown + 1))")"
done

python3 - "$art" "$rounds" "$(machine)" "$commit" "$cooldown" "$interval" "$restore_with_controller" "$prewarm" "$standby_instances" <<'PY'
import json, statistics, sys
art, rounds, machine, commit = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rs = [json.loads(l) for l in open(f"{art}/rounds.jsonl")]
def med(xs):
    xs = [x for x in xs if x is not None]
    return round(statistics.median(xs), 3) if xs else None
def agg(key):
    runs = [r[key] for r in rs]; return {"median": med(runs), "runs": runs}
steps = []
for r in rs:
    for n in r["steps"]:
        if n not in steps: steps.append(n)
out = {
    "benchmark": "auto-failover-rto", "rounds": rounds, "machine": machine, "commit": commit,
    "config": {"controllerIntervalSeconds": 1, "healthCheckIntervalSeconds": 1, "failureThreshold": 3, "probeTimeoutSeconds": 1,
               "cooldownSeconds": float(sys.argv[5]), "writerIntervalSeconds": float(sys.argv[6]), "writerTimeoutSeconds": 1,
               "restoreWithControllerRunning": sys.argv[7] == "1", "prewarmOnSuspect": sys.argv[8] == "true",
               "standbyInstances": int(sys.argv[9])},
    "note": "kill -9 of the primary's postmaster, nothing else; rto = kill -> first ack of the final unbroken run of acks; "
            "detection = kill -> controller.decision(failover) audit event; dispatch = decision -> run start; tail = run end -> client recovery",
    "rto": agg("rto"), "overhead": agg("overhead"), "detection": agg("detection"), "dispatch": agg("dispatch"), "killToRunStart": agg("killToRunStart"),
    "runbook": agg("runbook"), "tail": agg("tail"), "firstFailedAfterKill": agg("firstFailedAfterKill"),
    "steps": [{"name": n, "median": med([r["steps"].get(n) for r in rs]), "runs": [r["steps"].get(n) for r in rs],
               "outcomes": sorted({r["stepOutcomes"].get(n) for r in rs if n in r["stepOutcomes"]})} for n in steps],
    "outcomes": [r["outcome"] for r in rs],
    "failedWrites": [r["client"]["failed"] for r in rs], "attempts": [r["client"]["attempts"] for r in rs],
    "errors": [r["client"]["errors"] for r in rs],
    "ackedLost": [r["lost"]["lost"] for r in rs], "acked": [r["lost"]["acked"] for r in rs],
    "load1AtKill": [r["load1"] for r in rs], "uptimeAtKill": [r["uptime"] for r in rs],
    "foreignBuildSamplesDuring": [r["foreignBuildSamplesDuring"] for r in rs],
    "failback": {"median": med([r["failback"]["seconds"] for r in rs]), "runs": [r["failback"]["seconds"] for r in rs],
                 "outcomes": [r["failback"]["outcome"] for r in rs]},
    "spuriousFailoversAfterFailback": [r["spuriousFailoversAfterFailback"] for r in rs],
    "artifacts": art,
}
print(json.dumps(out, indent=1))
PY
