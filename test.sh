#!/usr/bin/env bash
# Runs all of Regami DR's tests: every project under tests/ — unit tests (Regami.Dr.Core.Tests:
# no I/O, fake time), component tests (Regami.Dr.Component.Tests: real etcd, Kestrel, DNS
# sockets, processes), integration tests (Regami.Dr.Integration.Tests: a real two-region
# PostgreSQL lab with API processes, load balancers and DNS on loopback) and the AWS provider's
# tests (Regami.Dr.Aws.Tests: the AWS CLI v2 against moto, the AWS emulator, on loopback).
# Then deploy/terraform's offline checks (fmt, validate, `terraform test` with mocked providers)
# when terraform and the AWS provider mirror are present; otherwise one line says why they were skipped.
#
# Ends with the line "N passed, N failed, N skipped" in every outcome — missing prerequisites and
# a failed build included (a failure that is not a test's counts as one failed) — and exits
# non-zero when anything failed. A test project that runs no test is a failure: a filter or a
# discovery problem must not pass silently. A test that hangs fails after TEST_HANG_TIMEOUT.
#
# Environment: TEST_FILTER (dotnet test --filter expression, applied to every project),
# TEST_PROJECTS (space-separated project names to run instead of all, e.g.
# "Regami.Dr.Core.Tests"; "terraform" for deploy/terraform's checks), TEST_CONFIGURATION (Release), TEST_HANG_TIMEOUT (10m); AWS_CLI_V2 and
# MOTO_SERVER name the AWS CLI v2 and moto_server when they are elsewhere than /usr/bin/aws and PATH.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

say() { echo "test.sh: $*" >&2; }

# --- the closing line CI reads, printed on every way out -------------------------------------
passed=0; failed=0; skipped=0
closing_line() {
  local rc=$?
  # A run that failed without a failed test (prerequisites, build, crash, no tests) must not read
  # as a success.
  if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  echo "$passed passed, $failed failed, $skipped skipped"
  exit "$rc"
}
trap closing_line EXIT

# --- prerequisites -------------------------------------------------------------------------
if ! command -v dotnet >/dev/null 2>&1; then
  say "the .NET 10 SDK is required (dotnet not found on PATH)"; exit 2
fi
pg_ok() { ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || [ -n "${REGAMI_DR_PG_BIN:-}" ]; }
missing=()   # needed by the tests
pg_ok || missing+=(postgresql)
command -v pgbackrest >/dev/null 2>&1 || [ -x /usr/bin/pgbackrest ] || missing+=(pgbackrest)   # the lab's backup engine and WAL archive
command -v etcd >/dev/null 2>&1 || [ -x /usr/bin/etcd ] || missing+=(etcd-server)
command -v ss >/dev/null 2>&1 || missing+=(iproute2)
command -v runuser >/dev/null 2>&1 || missing+=(util-linux)
# The AWS CLI v2 at /usr/bin/aws (Debian's awscli is v2): a Python v1 `aws` may come first on PATH.
[ -x /usr/bin/aws ] || [ -n "${AWS_CLI_V2:-}" ] || missing+=(awscli)
optional=()  # handy for people (dig @127.0.0.1 -p 5353 api.regami.test), installed when we can
command -v dig >/dev/null 2>&1 || optional+=(dnsutils)
# The fault campaign's network partitions (root only; skipped, and said so, without it).
[ "$(id -u)" = 0 ] && { command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || optional+=(nftables); }
if [ "$(id -u)" = 0 ] && [ $((${#missing[@]} + ${#optional[@]})) -gt 0 ]; then
  say "installing ${missing[*]} ${optional[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends "${missing[@]}" "${optional[@]}" >/dev/null \
    || { say "apt-get install ${missing[*]} ${optional[*]} failed"; exit 2; }
elif [ ${#missing[@]} -gt 0 ]; then
  say "missing packages: ${missing[*]}; install them: sudo apt-get install -y --no-install-recommends ${missing[*]}"; exit 2
fi
# moto, the AWS emulator the AWS provider's tests run against: from PyPI (Debian has no package).
moto_install="python3 -m pip install 'moto[server]==5.2.1'"
if ! command -v moto_server >/dev/null 2>&1 && [ -z "${MOTO_SERVER:-}" ]; then
  python3 -m pip --version >/dev/null 2>&1 \
    || { say "moto_server not found and pip is unavailable; install moto: $moto_install"; exit 2; }
  say "installing moto: $moto_install"
  python3 -m pip install -q 'moto[server]==5.2.1' >/dev/null || { say "$moto_install failed"; exit 2; }
  hash -r
  if command -v pyenv >/dev/null 2>&1; then pyenv rehash 2>/dev/null || true; fi
  if ! command -v moto_server >/dev/null 2>&1; then
    # pip's scripts directory may not be on PATH (e.g. ~/.local/bin): the tests take MOTO_SERVER.
    for dir in "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')" "$(python3 -m site --user-base)/bin"; do
      if [ -x "$dir/moto_server" ]; then export MOTO_SERVER="$dir/moto_server"; break; fi
    done
    [ -n "${MOTO_SERVER:-}" ] || { say "moto installed, but moto_server is on no PATH directory; add pip's scripts directory to PATH"; exit 2; }
  fi
fi

# --- which test projects -----------------------------------------------------------------------
projects=()
if [ -n "${TEST_PROJECTS:-}" ]; then
  for name in $TEST_PROJECTS; do
    [ "$name" = terraform ] && continue
    [ -f "tests/$name/$name.csproj" ] || { say "no test project tests/$name/$name.csproj (or terraform: deploy/terraform's offline checks)"; exit 2; }
    projects+=("tests/$name")
  done
else
  for csproj in tests/*/*.csproj; do projects+=("$(dirname "$csproj")"); done
fi
run_terraform=0
if [ -z "${TEST_PROJECTS:-}" ] || [[ " $TEST_PROJECTS " == *" terraform "* ]]; then run_terraform=1; fi
[ ${#projects[@]} -gt 0 ] || [ "$run_terraform" -eq 1 ] || { say "no test project found under tests/"; exit 1; }

# --- build once, then run the test projects ----------------------------------------------------
config="${TEST_CONFIGURATION:-Release}"
hang_timeout="${TEST_HANG_TIMEOUT:-10m}"
results="$here/TestResults"
rm -rf "$results"; mkdir -p "$results"
say "building ($config)"
if ! dotnet build RegamiDr.slnx -c "$config" --nologo -v quiet -clp:ErrorsOnly; then
  say "build failed"; exit 1
fi

# Reads one counter of a trx file's <Counters .../> element (0 when absent).
counter() { grep -o '<Counters [^>]*>' "$1" | head -1 | grep -o " $2=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }

rc=0
for project in "${projects[@]}"; do
  name=$(basename "$project")
  trx="$results/$name.trx"
  say "running $name"
  # --blame-hang-timeout: a hung test is killed and reported as a failure instead of hanging CI;
  # no dump (none): the sequence file and the console log say which test hung.
  dotnet test "$project" -c "$config" --no-build --nologo \
    --logger "trx;LogFileName=$name.trx" --logger "console;verbosity=normal" \
    --blame-hang-timeout "$hang_timeout" --blame-hang-dump-type none \
    --results-directory "$results" ${TEST_FILTER:+--filter "$TEST_FILTER"} || rc=1
  if [ ! -f "$trx" ]; then
    say "$name: no test results ($trx missing): the test run crashed or found no tests"; rc=1; continue
  fi
  executed=$(counter "$trx" executed)
  passed=$((passed + $(counter "$trx" passed)))
  failed=$((failed + $(counter "$trx" failed)))
  skipped=$((skipped + $(counter "$trx" notExecuted)))
  if [ "$executed" -eq 0 ]; then
    say "$name ran no tests${TEST_FILTER:+ (TEST_FILTER=$TEST_FILTER; TEST_PROJECTS picks projects)}"; rc=1
  fi
done

# --- the Terraform module (deploy/terraform): fmt, validate and `terraform test`, offline -------
# Its script counts each check and each test run; it exits 3, saying why in one line, when
# terraform or the provider mirror is missing (then nothing of it ran, and the line says so).
if [ "$run_terraform" -eq 1 ]; then
  say "running deploy/terraform/test.sh (terraform fmt, validate, test against the offline provider mirror)"
  tf_out="$results/terraform.log"
  bash deploy/terraform/test.sh >"$tf_out" 2>&1; tf_rc=$?
  cat "$tf_out"
  if [ "$tf_rc" -eq 3 ]; then
    say "Terraform checks skipped: $(grep -m1 'SKIPPED' "$tf_out" | sed 's/^terraform: SKIPPED — //')"
  else
    tf_line=$(grep -E '^terraform: [0-9]+ passed, [0-9]+ failed' "$tf_out" | tail -1)
    if [ -z "$tf_line" ]; then
      say "deploy/terraform/test.sh ended (exit $tf_rc) without its summary line"; rc=1
    else
      passed=$((passed + $(echo "$tf_line" | sed -E 's/^terraform: ([0-9]+) passed.*/\1/')))
      failed=$((failed + $(echo "$tf_line" | sed -E 's/.* ([0-9]+) failed.*/\1/')))
      [ "$tf_rc" -eq 0 ] || rc=1
    fi
  fi
fi

[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ] || exit 1
