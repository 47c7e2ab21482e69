#!/usr/bin/env bash
# Each AWS runbook's steps timed against moto, with the provider's two CLI transports:
# `server` (the CLI v2's own driver kept running: the default) and `process` (one `aws` per call).
# For each: a fresh estate (RDS primary + encrypted cross-region replica, ECS services, Route 53
# failover records with health checks), then `failover`, `failback` and `switchover` through the
# real `regami-dr` and `/usr/bin/aws`. ReplicaLag is fed to CloudWatch every second (moto has no
# replication), so the waits for a zero-lag sample are as short as moto allows. moto answers at
# once: what is left is our orchestration and the CLI's cost — production adds RDS's and ECS's own
# minutes (see `regami-dr aws plan`).
# Usage: bench/aws-runbooks.sh   JSON on stdout, progress on stderr. Env: MODES ("server process").
# Starts its own moto_server on a free loopback port; stops it (and the feeder) by pid on exit.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
v2=/usr/bin/aws
work="$(mktemp -d /tmp/regami-bench-aws-runbooks.XXXXXX)"
moto_pid=""; feeder_pid=""
cleanup() {
  [ -n "$feeder_pid" ] && kill "$feeder_pid" 2>/dev/null || true
  [ -n "$moto_pid" ] && { kill "$moto_pid" 2>/dev/null || true; wait "$moto_pid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
[ -x "$v2" ] || { echo "bench: AWS CLI v2 not found at $v2 (apt-get install -y awscli)" >&2; exit 1; }
moto="$(command -v moto_server || true)"
[ -n "$moto" ] || { echo "bench: moto_server not found: pip install 'moto[server]==5.2.1'" >&2; exit 1; }
"$here/regami-dr" --help >/dev/null   # build outside the timings

while read -r var; do unset "$var"; done < <(compgen -e | grep '^AWS_' || true)
: >"$work/config"; : >"$work/credentials"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_PAGER="" AWS_EC2_METADATA_DISABLED=true \
  AWS_CONFIG_FILE="$work/config" AWS_SHARED_CREDENTIALS_FILE="$work/credentials" NO_PROXY="127.0.0.1,localhost"
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
endpoint="http://127.0.0.1:$port"
"$moto" -H 127.0.0.1 -p "$port" >"$work/moto.log" 2>&1 &
moto_pid=$!
for _ in $(seq 1 300); do curl -fs "$endpoint/moto-api/" >/dev/null 2>&1 && break; sleep 0.1; done
a() { "$v2" --endpoint-url "$endpoint" --output json --no-cli-pager "$@"; }

estate() {   # a fresh estate; writes $work/regami-dr.yaml for cliMode $1
  curl -fs -X POST "$endpoint/moto-api/reset" >/dev/null
  local pw; pw=$(python3 -c 'import secrets; print(secrets.token_hex(12))')
  a rds create-db-instance --region eu-west-3 --db-instance-identifier regami-db --db-instance-class db.t3.medium --engine postgres \
    --master-username regami --master-user-password "$pw" --allocated-storage 20 --storage-encrypted \
    --kms-key-id arn:aws:kms:eu-west-3:123456789012:key/paris --backup-retention-period 7 --vpc-security-group-ids sg-db-paris >/dev/null
  a rds create-db-instance-read-replica --region eu-central-1 --db-instance-identifier regami-db --source-region eu-west-3 \
    --source-db-instance-identifier arn:aws:rds:eu-west-3:123456789012:db:regami-db --kms-key-id arn:aws:kms:eu-central-1:123456789012:key/frankfurt \
    --vpc-security-group-ids sg-db-frankfurt >/dev/null
  for r in eu-west-3 eu-central-1; do
    a ecs create-cluster --region $r --cluster-name regami >/dev/null
    a ecs register-task-definition --region $r --family regami-api --container-definitions '[{"name":"api","image":"regami/api","memory":512}]' >/dev/null
  done
  a ecs create-service --region eu-west-3 --cluster regami --service-name regami-api --task-definition regami-api --desired-count 0 >/dev/null
  a ecs update-service --region eu-west-3 --cluster regami --service regami-api --desired-count 2 >/dev/null
  a ecs create-service --region eu-central-1 --cluster regami --service-name regami-api --task-definition regami-api --desired-count 0 >/dev/null
  local zone h1 h2
  zone=$(a route53 create-hosted-zone --region us-east-1 --name regami.example. --caller-reference "z$RANDOM$RANDOM" --query HostedZone.Id --output text | sed 's|/hostedzone/||')
  h1=$(a route53 create-health-check --region us-east-1 --caller-reference "p$RANDOM$RANDOM" --health-check-config Type=HTTPS,Port=443,ResourcePath=/health?check=db,FullyQualifiedDomainName=paris.elb.example,RequestInterval=30,FailureThreshold=3 --query HealthCheck.Id --output text)
  h2=$(a route53 create-health-check --region us-east-1 --caller-reference "f$RANDOM$RANDOM" --health-check-config Type=HTTPS,Port=443,ResourcePath=/health?check=db,FullyQualifiedDomainName=frankfurt.elb.example,RequestInterval=30,FailureThreshold=3 --query HealthCheck.Id --output text)
  cat >"$work/rr.json" <<J
{"Changes":[{"Action":"CREATE","ResourceRecordSet":{"Name":"api.regami.example.","Type":"CNAME","SetIdentifier":"eu-west-3","Failover":"PRIMARY","TTL":60,"HealthCheckId":"$h1","ResourceRecords":[{"Value":"paris.elb.example"}]}},
{"Action":"CREATE","ResourceRecordSet":{"Name":"api.regami.example.","Type":"CNAME","SetIdentifier":"eu-central-1","Failover":"SECONDARY","TTL":60,"HealthCheckId":"$h2","ResourceRecords":[{"Value":"frankfurt.elb.example"}]}}]}
J
  a route53 change-resource-record-sets --region us-east-1 --hosted-zone-id "$zone" --change-batch "file://$work/rr.json" >/dev/null
  cat >"$work/regami-dr.yaml" <<Y
provider: aws
environment: bench
regions:
  - { name: eu-west-3, role: primary }
  - { name: eu-central-1, role: standby }
healthCheck: { requestInterval: 30s, failureThreshold: 3, timeout: 4s, path: "/health?check=db" }
rpoGuard: { maxLag: 5m, maxSampleAge: 2m }
aws:
  account: "123456789012"
  endpointUrl: $endpoint
  cliMode: $1
  pollInterval: 200ms
  route53: { hostedZoneId: $zone, recordName: api.regami.example., ttl: 60s }
  regions:
    eu-west-3: { dbInstance: regami-db, kmsKeyId: "arn:aws:kms:eu-west-3:123456789012:key/paris", dbSecurityGroups: [sg-db-paris], fenceSecurityGroup: sg-fence-paris, ecsCluster: regami, ecsService: regami-api, loadBalancer: paris.elb.example, healthCheckId: $h1 }
    eu-central-1: { dbInstance: regami-db, kmsKeyId: "arn:aws:kms:eu-central-1:123456789012:key/frankfurt", dbSecurityGroups: [sg-db-frankfurt], fenceSecurityGroup: sg-fence-frankfurt, ecsCluster: regami, ecsService: regami-api, loadBalancer: frankfurt.elb.example, healthCheckId: $h2 }
Y
}

feed() {   # ReplicaLag 0 for both regions, every second: what RDS publishes on AWS
  while true; do
    for r in eu-west-3 eu-central-1; do
      a cloudwatch put-metric-data --region $r --namespace AWS/RDS --metric-data \
        "[{\"MetricName\":\"ReplicaLag\",\"Dimensions\":[{\"Name\":\"DBInstanceIdentifier\",\"Value\":\"regami-db\"}],\"Value\":0,\"Timestamp\":\"$(date -u +%FT%TZ)\"}]" >/dev/null 2>&1 || true
    done
    sleep 1
  done
}

echo '[' >"$work/out.json"; first=true
for mode in ${MODES:-server process}; do
  echo "bench: $mode mode: creating the estate" >&2
  estate "$mode"
  rm -rf "$work/state"
  feed & feeder_pid=$!
  sleep 2
  for rb in failover failback switchover; do
    echo "bench: $mode: $rb" >&2
    "$here/regami-dr" "$rb" --yes --config "$work/regami-dr.yaml" --state-dir "$work/state" -o json >"$work/$mode-$rb.json" 2>"$work/$mode-$rb.err" \
      || { cat "$work/$mode-$rb.err" >&2; exit 1; }
    $first || echo ',' >>"$work/out.json"; first=false
    python3 - "$mode" "$rb" "$work/$mode-$rb.json" >>"$work/out.json" <<'PY'
import json, sys
mode, rb, path = sys.argv[1:4]
r = json.load(open(path))
print(json.dumps({"mode": mode, "runbook": rb, "outcome": r["outcome"], "seconds": round(r["duration"] if isinstance(r["duration"], float) else sum(float(x) * m for x, m in zip(reversed(r["duration"].split(":")), (1, 60, 3600))), 2),
                  "steps": {s["name"]: round(sum(float(x) * m for x, m in zip(reversed(((s.get("duration") or "0")).split(":")), (1, 60, 3600))), 2) if isinstance(s.get("duration"), str) else s.get("duration") for s in r["steps"]}}))
PY
  done
  kill "$feeder_pid" 2>/dev/null || true; wait "$feeder_pid" 2>/dev/null || true; feeder_pid=""
done
echo ']' >>"$work/out.json"
python3 -c 'import json,sys; print(json.dumps({"benchmark": "aws-runbooks", "machine": "%d cores, load avg %s" % (__import__("os").cpu_count(), open("/proc/loadavg").read().split()[0]), "runs": json.load(open(sys.argv[1]))}, indent=2))' "$work/out.json"
