#!/usr/bin/env python3
"""Helpers for the Regami DR benchmarks (stdlib only).

  writer   a client that writes to the public name continuously: each request resolves
           api.regami.test through the lab DNS (raw UDP, no cache), then POSTs
           {"seq": N, "payload": "bench"} to http://<answer>:<port>/api/records.
           One JSON line per attempt: seq, t0/t1 (epoch s), status (HTTP code or 0), addr, err.
           Runs until SIGTERM/SIGINT.
  window   client-observed unavailability of one writer log around one command.
  steps    per-step medians over several runbook JSON results.
  lost     acknowledged seqs of a writer log missing from a database (via psql over TCP).
"""
import argparse, http.client, json, os, random, signal, socket, statistics, struct, subprocess, sys, time


# ------------------------------------------------------------------ DNS (RFC 1035, A record)

def _qname(name):
    out = b""
    for label in name.rstrip(".").split("."):
        out += bytes([len(label)]) + label.encode("ascii")
    return out + b"\0"


def _skip_name(buf, i):
    while True:
        n = buf[i]
        if n == 0:
            return i + 1
        if n & 0xC0 == 0xC0:
            return i + 2
        i += 1 + n


def resolve_a(server, port, name, timeout=1.0):
    """Returns the first A record's address, or raises."""
    qid = random.randint(0, 0xFFFF)
    query = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + _qname(name) + struct.pack(">HH", 1, 1)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(query, (server, port))
        while True:
            buf, _ = s.recvfrom(4096)
            if len(buf) >= 12 and struct.unpack(">H", buf[:2])[0] == qid:
                break
    _, flags, qd, an, _, _ = struct.unpack(">HHHHHH", buf[:12])
    rcode = flags & 0xF
    if rcode != 0:
        raise RuntimeError(f"DNS rcode {rcode}")
    i = 12
    for _ in range(qd):
        i = _skip_name(buf, i) + 4
    for _ in range(an):
        i = _skip_name(buf, i)
        rtype, _rclass, _ttl, rdlen = struct.unpack(">HHIH", buf[i:i + 10])
        i += 10
        if rtype == 1 and rdlen == 4:
            return socket.inet_ntoa(buf[i:i + 4])
        i += rdlen
    raise RuntimeError("DNS answer without an A record")


# ------------------------------------------------------------------ writer

def cmd_writer(a):
    dns_host, dns_port = a.dns.rsplit(":", 1)
    stop = {"now": False}

    def on_signal(*_):
        stop["now"] = True
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    seq = a.seq_start
    with open(a.out, "a", buffering=1) as out:
        while not stop["now"]:
            t0 = time.time()
            rec = {"seq": seq, "t0": t0}
            addr = None
            try:
                addr = resolve_a(dns_host, int(dns_port), a.name, timeout=a.timeout)
                conn = http.client.HTTPConnection(addr, a.port, timeout=a.timeout)
                try:
                    body = json.dumps({"seq": seq, "payload": "bench"})
                    conn.request("POST", "/api/records", body=body, headers={"Content-Type": "application/json"})
                    resp = conn.getresponse()
                    text = resp.read()
                    rec["status"] = resp.status
                    if resp.status != 201:
                        rec["err"] = text[:200].decode("utf-8", "replace")
                finally:
                    conn.close()
            except Exception as e:  # noqa: BLE001 - every failure is a failed write
                rec["status"] = 0
                rec["err"] = f"{type(e).__name__}: {e}"[:200]
            rec["t1"] = time.time()
            rec["addr"] = addr
            out.write(json.dumps(rec) + "\n")
            seq += 1
            left = a.interval - (time.time() - t0)
            if left > 0:
                time.sleep(left)


def read_log(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


# ------------------------------------------------------------------ window / RTO

def window(log, start, end):
    """Client view of one command that ran from start to end (epoch seconds).

    rto: from the command start to the first acknowledged write (its reply) after the last
    failed one. window: from the first failed write (its start) to that acknowledgement.
    """
    att = sorted((r for r in log if r["t0"] >= start - 0.001), key=lambda r: r["t0"])
    failed = [r for r in att if r["status"] != 201]
    res = {"attempts": len(att), "failed": len(failed), "acked": len(att) - len(failed)}
    if not failed:
        res.update(rto=0.0, window=0.0, firstFailed=None, lastFailed=None, recoveredAt=None, bursts=0)
        return res
    last = failed[-1]
    after = [r for r in att if r["status"] == 201 and r["t0"] > last["t0"]]
    bursts, prev_ok = 0, True
    for r in att:
        ok = r["status"] == 201
        if not ok and prev_ok:
            bursts += 1
        prev_ok = ok
    errs = {}
    for r in failed:
        key = str(r["status"]) + " " + (r.get("err") or "")[:80]
        errs[key] = errs.get(key, 0) + 1
    res.update(bursts=bursts, firstFailed=round(failed[0]["t0"] - start, 3), lastFailed=round(last["t0"] - start, 3),
               errors=dict(sorted(errs.items(), key=lambda kv: -kv[1])[:5]))
    if not after:
        res.update(rto=None, window=None, recoveredAt=None)
    else:
        ack = after[0]
        res.update(rto=round(ack["t1"] - start, 3), window=round(ack["t1"] - failed[0]["t0"], 3),
                   recoveredAt=round(ack["t1"] - start, 3), recoveredVia=ack.get("addr"))
    res["commandSeconds"] = round(end - start, 3)
    return res


def cmd_window(a):
    print(json.dumps(window(read_log(a.log), a.start, a.end)))


# ------------------------------------------------------------------ steps

def seconds(ts):
    """TimeSpan text (d.hh:mm:ss.fffffff or hh:mm:ss.fffffff) → seconds."""
    if ts is None:
        return None
    days = 0
    if "." in ts.split(":")[0]:
        d, ts = ts.split(".", 1)
        days = int(d)
    h, m, s = ts.split(":")
    return days * 86400 + int(h) * 3600 + int(m) * 60 + float(s)


def median(xs):
    xs = [x for x in xs if x is not None]
    return round(statistics.median(xs), 3) if xs else None


def summarize_runs(results, walls=None):
    """results: runbook JSON objects of the same kind. Per-step median and runs, total."""
    names = []
    for r in results:
        for s in r["steps"]:
            if s["name"] not in names:
                names.append(s["name"])
    steps = []
    for n in names:
        runs, outcomes = [], {}
        for r in results:
            s = next((s for s in r["steps"] if s["name"] == n), None)
            runs.append(round(seconds(s["duration"]), 3) if s and s.get("duration") else None)
            if s:
                outcomes[s["outcome"]] = outcomes.get(s["outcome"], 0) + 1
        steps.append({"name": n, "median": median(runs), "runs": runs, "outcomes": outcomes})
    totals = [round(seconds(r["duration"]), 3) for r in results]
    out = {"runs": len(results), "outcomes": [r["outcome"] for r in results], "steps": steps,
           "total": {"median": median(totals), "runs": totals}}
    if walls:
        out["commandWall"] = {"median": median(walls), "runs": [round(w, 3) for w in walls]}
    return out


def cmd_steps(a):
    results = [json.load(open(p)) for p in a.files]
    walls = [float(w) for w in a.walls.split(",")] if a.walls else None
    print(json.dumps(summarize_runs(results, walls)))


# ------------------------------------------------------------------ lost writes

def acked_seqs(log):
    return sorted({r["seq"] for r in log if r["status"] == 201})


def lost(log, host, port, db, user):
    acked = acked_seqs(log)
    if not acked:
        return {"acked": 0, "found": 0, "lost": 0, "lostSeqs": []}
    lo, hi = acked[0], acked[-1]
    out = subprocess.run(["psql", "-h", host, "-p", str(port), "-U", user, "-d", db, "-Atc",
                          f"SELECT seq FROM records WHERE seq BETWEEN {lo} AND {hi}"],
                         check=True, capture_output=True, text=True).stdout
    present = {int(x) for x in out.split()}
    missing = [s for s in acked if s not in present]
    return {"acked": len(acked), "found": len(acked) - len(missing), "lost": len(missing), "lostSeqs": missing[:20]}


def cmd_lost(a):
    print(json.dumps(lost(read_log(a.log), a.host, a.port, a.db, a.user)))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    w = sub.add_parser("writer")
    w.add_argument("--dns", required=True, help="address:port of the lab DNS")
    w.add_argument("--name", default="api.regami.test")
    w.add_argument("--port", type=int, default=8080)
    w.add_argument("--seq-start", type=int, required=True)
    w.add_argument("--interval", type=float, default=0.02, help="seconds between request starts")
    w.add_argument("--timeout", type=float, default=2.0)
    w.add_argument("--out", required=True)
    w.set_defaults(fn=cmd_writer)
    x = sub.add_parser("window")
    x.add_argument("--log", required=True)
    x.add_argument("--start", type=float, required=True)
    x.add_argument("--end", type=float, required=True)
    x.set_defaults(fn=cmd_window)
    s = sub.add_parser("steps")
    s.add_argument("files", nargs="+")
    s.add_argument("--walls", default="")
    s.set_defaults(fn=cmd_steps)
    l = sub.add_parser("lost")
    l.add_argument("--log", required=True)
    l.add_argument("--host", required=True)
    l.add_argument("--port", type=int, default=5432)
    l.add_argument("--db", default="regami")
    l.add_argument("--user", default="postgres")
    l.set_defaults(fn=cmd_lost)
    a = p.parse_args()
    a.fn(a)


if __name__ == "__main__":
    main()
