#!/usr/bin/env python3
"""For bench/failback-rewind-vs-reclone.sh.

  rebuild_run.py FAILBACK.json MODE ROUND T0 T1 TPS BUSY      → one JSON line for that failback
  rebuild_run.py --summary RUNS.jsonl MACHINE COMMIT SCALE DBBYTES INIT CATCHUP WRITESECS ROUNDS
                                                               → the benchmark's JSON
"""
import json, os, sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib as b  # noqa: E402


def one(path, mode, rnd, t0, t1, tps, busy):
    r = json.load(open(path))
    steps = {s["name"]: s for s in r["steps"]}

    def st(n):
        s = steps.get(n)
        return None if s is None else {"seconds": round(b.seconds(s["duration"]), 3), "outcome": s["outcome"], "detail": s["detail"]}

    def sec(n):
        return b.seconds(steps[n]["duration"]) if n in steps and steps[n].get("duration") else 0.0

    return {"mode": mode, "round": int(rnd), "outcome": r["outcome"], "runId": r.get("runId"),
            "pgbenchTps": None if tps == "null" else float(tps),
            "rebuildAsStandby": st("rebuild-as-standby"), "backRebuildAsStandby": st("back-rebuild-as-standby"),
            "rebuildToCaughtUp": round(sec("rebuild-as-standby") + sec("start-standby") + sec("wait-caught-up"), 3),
            "failbackSeconds": round(b.seconds(r["duration"]), 3),
            "commandWall": round(float(t1) - float(t0), 3),
            "foreignBuildSamplesDuring": int(busy),
            "steps": {n: round(b.seconds(s["duration"]), 3) for n, s in steps.items()}}


def summary(runs_path, machine, commit, scale, db_bytes, init_s, catchup_s, write_secs, rounds):
    runs = [json.loads(l) for l in open(runs_path) if l.strip()]
    modes = list(dict.fromkeys(x["mode"] for x in runs))

    def agg(mode, f):
        v = [f(x) for x in runs if x["mode"] == mode]
        return {"median": b.median(v), "runs": v}

    per = {m: {"rebuildAsStandby": agg(m, lambda x: x["rebuildAsStandby"]["seconds"]),
               "rebuildToCaughtUp": agg(m, lambda x: x["rebuildToCaughtUp"]),
               "failback": agg(m, lambda x: x["failbackSeconds"]),
               "backRebuildAsStandby": agg(m, lambda x: x["backRebuildAsStandby"]["seconds"]),
               "outcomes": [x["outcome"] for x in runs if x["mode"] == m],
               "pgbenchTpsAfterFailover": [x["pgbenchTps"] for x in runs if x["mode"] == m],
               "foreignBuildSamplesDuring": [x["foreignBuildSamplesDuring"] for x in runs if x["mode"] == m],
               "rebuildDetails": [x["rebuildAsStandby"]["detail"] for x in runs if x["mode"] == m]}
           for m in modes}

    def ratio(a, c):
        return None if not a or not c else round(a / c, 4)

    out = {"benchmark": "failback-rewind-vs-reclone", "rounds": int(rounds), "machine": machine, "commit": commit,
           "database": {"pgbenchScale": int(scale), "bytes": int(db_bytes), "initSeconds": float(init_s),
                        "standbyCatchUpSeconds": float(catchup_s)},
           "writesAfterFailover": f"pgbench -c 2 -T {write_secs} against the new primary",
           "modes": per, "ratios": {}}
    if "reclone" in per:
        rc = per["reclone"]
        for m in modes:
            if m != "reclone":
                out["ratios"][f"{m}/reclone"] = {k: ratio(per[m][k]["median"], rc[k]["median"])
                                                 for k in ("rebuildAsStandby", "rebuildToCaughtUp", "failback")}
        first = out["ratios"].get("rewind/reclone", {}).get("rebuildAsStandby")
        out["goal"] = {"rule": "rewind <= 0.10 x re-clone (rebuild-as-standby, medians)", "ratio": first,
                       "met": first is not None and first <= 0.10}
    out["runs"] = runs
    return out


if __name__ == "__main__":
    if sys.argv[1] == "--summary":
        print(json.dumps(summary(*sys.argv[2:11]), indent=1))
    else:
        print(json.dumps(one(*sys.argv[1:8])))
