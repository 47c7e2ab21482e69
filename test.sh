#!/usr/bin/env bash
# Runs all of Regami DR's tests: unit tests (no I/O, fake time) and integration tests (a real
# two-region PostgreSQL lab with API processes, load balancers and DNS on loopback).
# Ends with the line "N passed, N failed, N skipped" and exits non-zero when a test fails.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

say() { echo "test.sh: $*" >&2; }

# --- prerequisites -------------------------------------------------------------------------
if ! command -v dotnet >/dev/null 2>&1; then
  say "the .NET 10 SDK is required (dotnet not found on PATH)"; exit 2
fi
pg_ok() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "${REGAMI_DR_PG_BIN:-}" ]; }
missing=()   # needed by the tests
pg_ok || missing+=(postgresql)
command -v etcd >/dev/null 2>&1 || [ -x /usr/bin/etcd ] || missing+=(etcd-server)
command -v ss >/dev/null 2>&1 || missing+=(iproute2)
command -v runuser >/dev/null 2>&1 || missing+=(util-linux)
optional=()  # handy for people (dig @127.0.0.1 -p 5353 api.regami.test), installed when we can
command -v dig >/dev/null 2>&1 || optional+=(dnsutils)
if [ "$(id -u)" = 0 ] && [ $((${#missing[@]} + ${#optional[@]})) -gt 0 ]; then
  say "installing ${missing[*]} ${optional[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" "${optional[@]}" >/dev/null \
    || { say "apt-get install ${missing[*]} ${optional[*]} failed"; exit 2; }
elif [ ${#missing[@]} -gt 0 ]; then
  say "missing packages: ${missing[*]}; install them: sudo apt-get install -y --no-install-recommends ${missing[*]}"; exit 2
fi

# --- build once, then run the test projects ----------------------------------------------------
config="${TEST_CONFIGURATION:-Release}"
results="$here/TestResults"
rm -rf "$results"; mkdir -p "$results"
say "building ($config)"
if ! dotnet build RegamiDr.slnx -c "$config" --nologo -v quiet -clp:ErrorsOnly; then
  say "build failed"; echo "0 passed, 1 failed"; exit 1
fi

rc=0
for project in tests/Regami.Dr.Core.Tests tests/Regami.Dr.Integration.Tests; do
  name=$(basename "$project")
  say "running $name"
  dotnet test "$project" -c "$config" --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --results-directory "$results" ${TEST_FILTER:+--filter "$TEST_FILTER"} || rc=1
done

# --- the closing line CI reads ------------------------------------------------------------------
passed=0; failed=0; skipped=0
for trx in "$results"/*.trx; do
  [ -f "$trx" ] || continue
  counters=$(grep -o '<Counters [^>]*>' "$trx" | head -1)
  get() { echo "$counters" | grep -o "$1=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
  passed=$((passed + $(get passed)))
  failed=$((failed + $(get failed)))
  skipped=$((skipped + $(get notExecuted)))
done
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; say "a test run failed without reporting a failed test (crash?)"; fi
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
