#!/usr/bin/python3
"""The failover comparison's client and arithmetic (run with /usr/bin/python3: it needs Debian's
python3-psycopg2; the pyenv python first on PATH lacks it).

  writer     the database client, the same for every system: libpq multi-host with
             target_session_attrs=read-write, connect_timeout=1 (libpq 15 makes that 2 s per host),
             autocommit INSERTs of sequence numbers into bench_writes. Each write must finish within
             --timeout (1 s) or it is abandoned with its connection (a SIGSTOPped server never
             answers; the blocked thread is left behind and its write is never counted). One JSON line
             per attempt: seq, t0, t1 (epoch s), ok, host (ip:port that acknowledged), err.
             A write counts as acknowledged only when INSERT returned without error.
  http-log   turns a bench/lib/benchlib.py writer log (the public name) into the same shape.
  settle     waits until a log shows --hold s of unbroken acks from a host other than --old
             (max --limit s); exit 1 when it never does.
  round      one round's figures: rto (fault -> the first ack from a host other than the old
             primary), first failed write, failed attempts, lost acknowledged writes (acked seqs
             missing on --primary, queried directly).
  summary    the final JSON: min/median/max per system and fault, lost writes, ratios against
             regami-dr at the database.
  sql        runs one statement on a conninfo and prints the first column of each row.
"""
import argparse, json, os, signal, statistics, sys, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from benchlib import read_log  # noqa: E402 - the writers' JSON-lines log, one reader for both clients

try:
    import psycopg2
except ImportError:  # only the writer, round and sql need it
    psycopg2 = None


def sql(dsn, stmt, args=None, timeout=5):
    conn = psycopg2.connect(dsn, connect_timeout=max(2, int(timeout)))
    try:
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(stmt, args)
            return cur.fetchall() if cur.description else []
    finally:
        conn.close()


def cmd_sql(a):
    for row in sql(a.dsn, a.stmt):
        print(row[0])


# ------------------------------------------------------------------ writer

def cmd_writer(a):
    stop = {"now": False}

    def on_signal(*_):
        stop["now"] = True
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    dsn = a.dsn + " connect_timeout=1 target_session_attrs=read-write application_name=failover-compare"
    conn, seq = None, a.seq_start
    with open(a.out, "a", buffering=1) as out:
        while not stop["now"]:
            t0 = time.time()
            rec = {"seq": seq, "t0": t0, "ok": False, "host": None}
            try:
                if conn is None:
                    conn = psycopg2.connect(dsn)
                    conn.autocommit = True
                host = f"{conn.info.host}:{conn.info.port}"
                res = {}

                def write(c=conn, s=seq):
                    try:
                        with c.cursor() as cur:
                            cur.execute("INSERT INTO bench_writes (seq) VALUES (%s)", (s,))
                        res["ok"] = True
                    except Exception as e:  # noqa: BLE001 - any failure is an unacknowledged write
                        res["err"] = f"{type(e).__name__}: {e}".strip()[:200]
                th = threading.Thread(target=write, daemon=True)
                th.start()
                th.join(a.timeout)
                if th.is_alive():
                    # Hung server: abandon the thread and its connection (closing would block too).
                    rec["err"] = f"no answer in {a.timeout} s"
                    conn = None
                elif res.get("ok"):
                    rec["ok"], rec["host"] = True, host
                else:
                    rec["err"] = res.get("err")
                    try:
                        conn.close()
                    except Exception:  # noqa: BLE001
                        pass
                    conn = None
            except Exception as e:  # noqa: BLE001 - connect failures are failed writes too
                rec["err"] = f"{type(e).__name__}: {e}".strip().replace("\n", " ")[:200]
                conn = None
            rec["t1"] = time.time()
            out.write(json.dumps(rec) + "\n")
            seq += 1
            left = a.interval - (time.time() - t0)
            if left > 0:
                time.sleep(left)


def cmd_http_log(a):
    """benchlib writer lines {seq,t0,t1,status,addr,err} -> {seq,t0,t1,ok,host,err}."""
    with open(a.out, "w") as out:
        for r in read_log(a.log):
            ok = r.get("status") == 201
            out.write(json.dumps({"seq": r["seq"], "t0": r["t0"], "t1": r["t1"], "ok": ok,
                                  "host": r.get("addr") if ok else None, "err": r.get("err")}) + "\n")


def same_host(host, old):
    return host is not None and (host == old or host.split(":")[0] == old.split(":")[0])


def cmd_settle(a):
    end = time.time() + a.limit
    while time.time() < end:
        try:
            log = read_log(a.log)
        except (OSError, json.JSONDecodeError):
            log = []
        tail = []
        for r in reversed(log):
            if not r["ok"] or same_host(r["host"], a.old) or r["t0"] < a.since:
                break
            tail.append(r)
        if tail and tail[0]["t1"] - tail[-1]["t0"] >= a.hold:
            return
        time.sleep(0.5)
    sys.exit(1)


# ------------------------------------------------------------------ one round

def round_figures(log, fault, old):
    att = sorted((r for r in log if r["t0"] >= fault - 0.001 or r["t1"] >= fault), key=lambda r: r["t0"])
    first_new = next((r for r in att if r["ok"] and r["t1"] >= fault and not same_host(r["host"], old)), None)
    failed = [r for r in att if not r["ok"]]
    errs = {}
    for r in failed:
        key = (r.get("err") or "")[:70]
        errs[key] = errs.get(key, 0) + 1
    r3 = lambda x: None if x is None else round(x, 3)
    return {
        "rto": r3(first_new["t1"] - fault) if first_new else None,
        "newHost": first_new["host"] if first_new else None,
        "firstFailed": r3(failed[0]["t0"] - fault) if failed else None,
        "attempts": len(att), "failed": len(failed),
        "errors": dict(sorted(errs.items(), key=lambda kv: -kv[1])[:4]),
    }


def lost_writes(log, dsn, table):
    acked = sorted({r["seq"] for r in log if r["ok"]})
    if not acked:
        return {"acked": 0, "lost": 0, "lostSeqs": []}
    rows = sql(dsn, f"SELECT seq FROM {table} WHERE seq BETWEEN %s AND %s", (acked[0], acked[-1]))
    present = {int(r[0]) for r in rows}
    missing = [s for s in acked if s not in present]
    return {"acked": len(acked), "lost": len(missing), "lostSeqs": missing[:20]}


def cmd_round(a):
    log = read_log(a.log)
    out = round_figures(log, a.fault, a.old)
    out["lost"] = lost_writes(log, a.primary, a.table)
    print(json.dumps(out))


def cmd_finish(a):
    """Adds the lost writes counted once the cluster is whole again (Patroni or pg_auto_failover
    may rewind away what the first new primary acknowledged) and the round's context."""
    r = json.load(open(a.round_file))
    r["lostAtFailover"] = r.pop("lost")
    r["lost"] = lost_writes(read_log(a.log), a.primary, a.table)
    r.update(json.loads(a.extra))
    print(json.dumps(r))


# ------------------------------------------------------------------ healthy (Patroni, pg_auto_failover)

def _get_json(url, timeout=2):
    import urllib.request
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


def _streaming(dsn):
    rows = sql(dsn, "SELECT NOT pg_is_in_recovery(), (SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming')", timeout=2)
    return rows[0][0] and rows[0][1] >= 1


def healthy_patroni(a):
    for api in a.api.split(","):
        try:
            c = _get_json(api.rstrip("/") + "/cluster")
        except Exception:  # noqa: BLE001 - try the other member
            continue
        ms = c.get("members", [])
        leader = [m for m in ms if m.get("role") == "leader" and m.get("state") == "running"]
        replicas = [m for m in ms if m.get("role") == "replica" and m.get("state") in ("running", "streaming") and m.get("lag") == 0]
        if len(ms) == 2 and len(leader) == 1 and len(replicas) == 1:
            l = leader[0]
            if _streaming(f"host={l['host']} port={l['port']} user=postgres dbname=postgres"):
                return f"{l['name']} {l['host']}:{l['port']}"
        return None
    return None


def healthy_pgaf(a):
    rows = sql(a.monitor, "SELECT nodename, nodehost, nodeport, reportedstate::text, goalstate::text FROM pgautofailover.node ORDER BY nodeid", timeout=2)
    prim = [r for r in rows if r[3] == "primary" and r[4] == "primary"]
    sec = [r for r in rows if r[3] == "secondary" and r[4] == "secondary"]
    if len(rows) == 2 and len(prim) == 1 and len(sec) == 1:
        n, h, p = prim[0][:3]
        if _streaming(f"host={h} port={p} user=postgres dbname=postgres"):
            return f"{n} {h}:{p}"
    return None


def cmd_healthy(a):
    """Waits (max --limit s) for a whole 2-node cluster: one primary, one streaming replica; prints
    the primary as 'name host:port'."""
    end = time.time() + a.limit
    last = None
    while time.time() < end:
        try:
            found = healthy_patroni(a) if a.kind == "patroni" else healthy_pgaf(a)
            if found:
                print(found)
                return
        except Exception as e:  # noqa: BLE001 - not yet
            last = f"{type(e).__name__}: {e}".strip()[:200]
        time.sleep(0.5)
    print(f"fc.py: no healthy {a.kind} cluster after {a.limit} s ({last or 'roles not settled'})", file=sys.stderr)
    sys.exit(1)


# ------------------------------------------------------------------ summary

def stats(xs):
    xs = [x for x in xs if x is not None]
    if not xs:
        return {"min": None, "median": None, "max": None, "n": 0}
    return {"min": round(min(xs), 3), "median": round(statistics.median(xs), 3), "max": round(max(xs), 3), "n": len(xs)}


def cmd_summary(a):
    rounds = [json.loads(l) for l in open(a.rounds) if l.strip()]
    meta = json.loads(open(a.meta).read())
    groups = {}
    for r in rounds:
        groups.setdefault((r["system"], r["fault"], r["via"]), []).append(r)
    table = []
    for (system, fault, via), rs in groups.items():
        table.append({
            "system": system, "fault": fault, "via": via, "rounds": len(rs),
            "rto": stats([r["rto"] for r in rs]), "rtoRuns": [r["rto"] for r in rs],
            "noRecovery": sum(1 for r in rs if r["rto"] is None),
            "lostAcked": [r["lost"]["lost"] for r in rs], "acked": [r["lost"]["acked"] for r in rs],
            "lostAckedAtFailover": [r.get("lostAtFailover", {}).get("lost") for r in rs],
            "restoreSeconds": stats([r.get("restoreSeconds") for r in rs]),
            "failedWrites": [r["failed"] for r in rs],
        })
    ref = {t["fault"]: t["rto"]["median"] for t in table if t["system"] == "regami-dr-defaults" and t["via"] == "database"}
    for t in table:
        base = ref.get(t["fault"])
        t["medianRatioVsRegamiDefaults"] = round(t["rto"]["median"] / base, 2) if base and t["rto"]["median"] is not None else None
    def find(system, fault):
        return next((t for t in table if t["system"] == system and t["fault"] == fault and t["via"] == "database"), None)
    targets = []
    for other, factor in (("patroni-minimum", 4), ("pg-auto-failover", 10)):
        for fault in sorted(ref):
            o, base = find(other, fault), find("regami-dr-defaults", fault)
            if not o or not base or o["medianRatioVsRegamiDefaults"] is None:
                continue
            targets.append({"target": f"regami-dr (defaults) >= {factor}x faster than {other}", "fault": fault,
                            "ratio": o["medianRatioVsRegamiDefaults"], "met": o["medianRatioVsRegamiDefaults"] >= factor,
                            "lostRegami": sum(base["lostAcked"]), "lostOther": sum(o["lostAcked"]),
                            "noMoreLost": sum(base["lostAcked"]) <= sum(o["lostAcked"])})
    out = dict(meta)
    out["results"] = table
    out["targets"] = targets
    out["rounds"] = rounds
    print(json.dumps(out, indent=1))
    if a.markdown:
        lines = ["| system | fault | via | rounds | RTO min (s) | median | max | acked writes lost per round (of acked) | lost right after the failover | median ÷ regami-dr defaults |",
                 "|---|---|---|---|---|---|---|---|---|---|"]
        for t in table:
            s = t["rto"]
            f = lambda x: "—" if x is None else f"{x:.1f}"
            lines.append(f"| {t['system']} | {t['fault']} | {t['via']} | {t['rounds']}"
                         f"{' (' + str(t['noRecovery']) + ' never recovered)' if t['noRecovery'] else ''} | {f(s['min'])} | {f(s['median'])} | {f(s['max'])} | "
                         f"{', '.join(map(str, t['lostAcked']))} (of {', '.join(map(str, t['acked']))}) | "
                         f"{', '.join(map(str, t['lostAckedAtFailover']))} | "
                         f"{'—' if t['medianRatioVsRegamiDefaults'] is None else '%.2f×' % t['medianRatioVsRegamiDefaults']} |")
        open(a.markdown, "w").write("\n".join(lines) + "\n")


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("writer")
    w.add_argument("--dsn", required=True, help="libpq conninfo with the host list (host=a,b port=p,q ...)")
    w.add_argument("--seq-start", type=int, required=True)
    w.add_argument("--interval", type=float, default=0.03, help="seconds between write starts")
    w.add_argument("--timeout", type=float, default=1.0, help="seconds a write may take before it is abandoned")
    w.add_argument("--out", required=True)
    w.set_defaults(fn=cmd_writer)
    h = sub.add_parser("http-log")
    h.add_argument("--log", required=True)
    h.add_argument("--out", required=True)
    h.set_defaults(fn=cmd_http_log)
    s = sub.add_parser("settle")
    s.add_argument("--log", required=True)
    s.add_argument("--old", required=True, help="the old primary's address (its acks do not count)")
    s.add_argument("--since", type=float, default=0)
    s.add_argument("--hold", type=float, default=3)
    s.add_argument("--limit", type=float, default=180)
    s.set_defaults(fn=cmd_settle)
    r = sub.add_parser("round")
    r.add_argument("--log", required=True)
    r.add_argument("--fault", type=float, required=True, help="epoch s of the fault signal")
    r.add_argument("--old", required=True)
    r.add_argument("--primary", required=True, help="conninfo of the new primary, for the lost writes")
    r.add_argument("--table", default="bench_writes")
    r.set_defaults(fn=cmd_round)
    f = sub.add_parser("finish")
    f.add_argument("--round-file", required=True)
    f.add_argument("--log", required=True)
    f.add_argument("--primary", required=True, help="conninfo of the primary once the cluster is whole again")
    f.add_argument("--table", default="bench_writes")
    f.add_argument("--extra", default="{}", help="JSON object merged into the line")
    f.set_defaults(fn=cmd_finish)
    y = sub.add_parser("healthy")
    y.add_argument("kind", choices=["patroni", "pgaf"])
    y.add_argument("--api", default="", help="Patroni REST API URLs, comma-separated")
    y.add_argument("--monitor", default="", help="pg_auto_failover monitor conninfo")
    y.add_argument("--limit", type=float, default=300)
    y.set_defaults(fn=cmd_healthy)
    m = sub.add_parser("summary")
    m.add_argument("--rounds", required=True)
    m.add_argument("--meta", required=True)
    m.add_argument("--markdown")
    m.set_defaults(fn=cmd_summary)
    q = sub.add_parser("sql")
    q.add_argument("--dsn", required=True)
    q.add_argument("stmt")
    q.set_defaults(fn=cmd_sql)
    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
