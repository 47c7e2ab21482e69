#!/usr/bin/env bash
# What one AWS CLI call costs the AWS provider: wall time (and CPU) of a read-only call against
# moto, per CLI version — v2 (/usr/bin/aws, what the provider runs) and v1 (the first `aws` on
# PATH that says aws-cli/1, if any). Each call is a fresh process, as in the provider: Python
# start-up and botocore's imports dominate, not moto.
# Starts its own moto_server on a free loopback port (stopped by pid on exit), creates one RDS
# instance, one Route 53 health check and one ECS service, then times N calls each of
# `rds describe-db-instances`, `route53 get-health-check` and `ecs describe-services`, one call at
# a time, operations and versions interleaved (machine noise spreads over all of them).
# Usage: bench/aws-cli-calls.sh   JSON (min/median/max ms per version and operation) on stdout,
# progress on stderr. Env: N (calls per operation and version, default 10), AWS_CLI_V2
# (/usr/bin/aws), MOTO_SERVER (default: moto_server on PATH).
# Does not source bench/lib/common.sh: no lab and no regami-dr build are involved.
set -euo pipefail
n="${N:-10}"
v2="${AWS_CLI_V2:-/usr/bin/aws}"
work="$(mktemp -d /tmp/regami-bench-aws-cli.XXXXXX)"
moto_pid=""
cleanup() {
  if [ -n "$moto_pid" ]; then kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ -x "$v2" ] || { echo "bench: AWS CLI v2 not found at $v2 (apt-get install -y --no-install-recommends awscli, or set AWS_CLI_V2)" >&2; exit 1; }
moto="${MOTO_SERVER:-$(command -v moto_server || true)}"
[ -n "$moto" ] || { echo "bench: moto_server not found: install it with \`pip install 'moto[server]==5.2.1'\`" >&2; exit 1; }
v1=""
while read -r candidate; do
  if "$candidate" --version 2>&1 | grep -q '^aws-cli/1'; then v1="$candidate"; break; fi
done < <(type -ap aws)

# Nothing of the caller's AWS set-up: dummy credentials, empty config files, no pager, no proxy.
while read -r var; do unset "$var"; done < <(compgen -e | grep '^AWS_' || true)
: >"$work/config"; : >"$work/credentials"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true \
  AWS_CONFIG_FILE="$work/config" AWS_SHARED_CREDENTIALS_FILE="$work/credentials" \
  NO_PROXY="${NO_PROXY:+$NO_PROXY,}127.0.0.1,localhost" no_proxy="${no_proxy:+$no_proxy,}127.0.0.1,localhost"

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"
"$moto" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 1 300); do
  python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$endpoint/moto-api/" 2>/dev/null && break
  kill -0 "$moto_pid" 2>/dev/null || break
  sleep 0.1
done
python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)' "$endpoint/moto-api/" 2>/dev/null \
  || { tail -20 "$work/moto.log" >&2; echo "bench: moto_server did not answer on $endpoint within 30 s" >&2; exit 1; }
echo "bench: $moto (pid $moto_pid) on $endpoint; v2 $v2; v1 ${v1:-none}" >&2

# aws2/aws1 ARGS...: one call against moto in eu-west-3 (v1 has no --no-cli-pager; it never pages).
aws2() { "$v2" --endpoint-url "$endpoint" --region eu-west-3 --output json --no-cli-pager "$@"; }
aws1() { "$v1" --endpoint-url "$endpoint" --region eu-west-3 --output json "$@"; }

password=$(python3 -c 'import secrets; print(secrets.token_hex(16))')
aws2 rds create-db-instance --db-instance-identifier regami-db --engine postgres --db-instance-class db.t3.medium \
  --allocated-storage 20 --master-username regami --master-user-password "$password" >/dev/null
health_check=$(aws2 route53 create-health-check --caller-reference "bench-$$" --health-check-config \
  '{"Type":"HTTPS","Port":443,"ResourcePath":"/health?check=db","RequestInterval":30,"FailureThreshold":3,"FullyQualifiedDomainName":"regami-paris-1.eu-west-3.elb.amazonaws.com"}' \
  --query HealthCheck.Id --output text)
aws2 ecs create-cluster --cluster-name regami >/dev/null
aws2 ecs register-task-definition --family regami-api --container-definitions '[{"name":"api","image":"regami/api","essential":true,"memory":512}]' >/dev/null
aws2 ecs create-service --cluster regami --service-name regami-api --task-definition regami-api --desired-count 2 >/dev/null

# The operations, by name: their arguments.
declare -A ops=(
  ["rds describe-db-instances"]="rds describe-db-instances --db-instance-identifier regami-db"
  ["route53 get-health-check"]="route53 get-health-check --health-check-id $health_check"
  ["ecs describe-services"]="ecs describe-services --cluster regami --services regami-api"
)
versions=(v2); [ -n "$v1" ] && versions+=(v1)

# timed VERSION OP: one call; appends "VERSION<TAB>OP<TAB>real user sys" (seconds) to $work/times.
TIMEFORMAT='%3R %3U %3S'
timed() {
  local version="$1" op="$2" t
  # shellcheck disable=SC2086  # the operation's arguments split on purpose (no spaces inside one)
  if ! t=$( { time "aws${version#v}" ${ops[$op]} >/dev/null 2>"$work/err"; } 2>&1 ); then
    echo "bench: $version $op failed: $(cat "$work/err")" >&2; exit 1
  fi
  printf '%s\t%s\t%s\n' "$version" "$op" "$t" >>"$work/times"
}

for version in "${versions[@]}"; do for op in "${!ops[@]}"; do "aws${version#v}" ${ops[$op]} >/dev/null; done; done   # warm-up, untimed
load0=$(cut -d' ' -f1 /proc/loadavg)
: >"$work/times"
for i in $(seq 1 "$n"); do
  for op in "${!ops[@]}"; do for version in "${versions[@]}"; do timed "$version" "$op"; done; done
  echo "bench: round $i/$n done" >&2
done
load1=$(cut -d' ' -f1 /proc/loadavg)

# The provider's default transport: the CLI v2's own driver kept running (aws_cli_server.py, run by
# the aws script's interpreter), fed one command line per call. Same calls, same N; the start-up is
# paid once and reported apart.
server_script="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/src/Regami.Dr.Aws/Cli/aws_cli_server.py"
interpreter=$(head -1 "$v2" | sed 's/^#!//; s/ .*//')
if [ -f "$server_script" ] && head -1 "$v2" | grep -q python; then
  python3 - "$interpreter" "$server_script" "$endpoint" "$n" "$health_check" >"$work/server.json" <<'PY'
import json, subprocess, sys, time, statistics
interpreter, script, endpoint, n, hc = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
ops = {"rds describe-db-instances": ["rds", "describe-db-instances", "--db-instance-identifier", "regami-db"],
       "route53 get-health-check": ["route53", "get-health-check", "--health-check-id", hc],
       "ecs describe-services": ["ecs", "describe-services", "--cluster", "regami", "--services", "regami-api"]}
t0 = time.monotonic()
p = subprocess.Popen([interpreter, script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
p.stdout.readline()
startup = (time.monotonic() - t0) * 1000
def call(args):
    p.stdin.write(json.dumps({"id": 1, "args": args + ["--endpoint-url", endpoint, "--region", "eu-west-3", "--output", "json", "--no-cli-pager"]}) + "\n"); p.stdin.flush()
    r = json.loads(p.stdout.readline())
    if r["rc"] != 0: raise SystemExit("server call failed: " + r["stderr"])
for args in ops.values(): call(args)  # warm-up
times = {op: [] for op in ops}
for _ in range(n):
    for op, args in ops.items():
        t = time.monotonic(); call(args); times[op].append((time.monotonic() - t) * 1000)
p.stdin.close(); p.wait()
print(json.dumps({"startupMs": round(startup), "results": {op: {"minMs": round(min(v)), "medianMs": round(statistics.median(v)), "maxMs": round(max(v))} for op, v in times.items()}}))
PY
else echo '{}' >"$work/server.json"; fi

python3 - "$work/times" "$n" "$load0" "$load1" "$("$v2" --version 2>&1)" "${v1:+$("$v1" --version 2>&1)}" "$v2" "$v1" "$work/server.json" <<'PY'
import json, statistics, sys
path, n, load0, load1, v2version, v1version, v2path, v1path, server_path = sys.argv[1:10]
runs = {}
for line in open(path):
    version, op, t = line.rstrip("\n").split("\t")
    real, user, system = (float(x) for x in t.split())
    runs.setdefault(version, {}).setdefault(op, []).append((real * 1000, (user + system) * 1000))
def summary(samples):
    wall = [w for w, _ in samples]; cpu = [c for _, c in samples]
    return {"minMs": round(min(wall)), "medianMs": round(statistics.median(wall)), "maxMs": round(max(wall)),
            "medianCpuMs": round(statistics.median(cpu))}
print(json.dumps({
    "benchmark": "aws-cli-calls", "callsPerOperation": int(n),
    "machine": "%d cores, load avg %s at start, %s at end" % (__import__("os").cpu_count(), load0, load1),
    "clis": {"v2": {"path": v2path, "version": v2version.split()[0]},
             "v1": {"path": v1path, "version": v1version.split()[0]} if v1path else None},
    "results": {version: {op: summary(s) for op, s in sorted(ops.items())} for version, ops in runs.items()},
    "v2KeptRunning": json.load(open(server_path)) or None,
}, indent=2))
PY
