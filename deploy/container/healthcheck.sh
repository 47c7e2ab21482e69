#!/usr/bin/env bash
# The container's HEALTHCHECK: exit 0 when the controller's HTTP API answers 200 on
# GET /api/controller, 1 otherwise.
#
# Why /api/controller: it reads the decision loop's in-memory state. /api/status would ask the
# provider (AWS CLI calls) every 30 s, which is slow and costs API calls; /metrics is larger.
# Why bash: the .NET runtime image has no curl or wget, and adding one only for this would grow
# the attack surface; bash's /dev/tcp speaks enough HTTP/1.0.
#
# REGAMI_DR_HEALTHCHECK_PORT: the port of --listen when it is not 7480.
set -euo pipefail
port="${REGAMI_DR_HEALTHCHECK_PORT:-7480}"
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'GET /api/controller HTTP/1.0\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' >&3
IFS= read -r status <&3 || exit 1
exec 3<&-
[[ "$status" =~ ^HTTP/1\.[01]\ 200\  ]]
