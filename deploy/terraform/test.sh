#!/usr/bin/env bash
# Offline checks of the Terraform module in this directory:
#   terraform fmt -check -recursive, init -backend=false, validate, test (mocked providers, plan only).
#
# Needs terraform (>= 1.9) on PATH and a filesystem mirror of the AWS provider (~> 5.0):
# $TF_PLUGIN_MIRROR, else /opt/tf-plugins, else a directory named tf-plugins at most two levels
# below /. Without either it prints one line and exits 3 (skipped). Otherwise it prints one line per
# check (fmt, init, validate, each `run` of terraform test), then "terraform: N passed, N failed",
# and exits 0 when everything passed, 1 otherwise.
#
# Nothing is written into the repository: the module is copied to a temporary directory, which
# also holds the CLI configuration, TF_DATA_DIR (.terraform) and the dependency lock file, and is
# removed on exit. Works from any directory, as root or as a normal user.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
min_version="1.9.0"

skip() {
  echo "terraform: SKIPPED — $*"
  exit 3
}

# --- what we need --------------------------------------------------------------------------

terraform_bin="$(command -v terraform || true)"
if [[ -z "$terraform_bin" ]]; then
  skip "terraform is not on PATH; install Terraform >= ${min_version} (https://developer.hashicorp.com/terraform/install, or apt-get install terraform from apt.releases.hashicorp.com) and re-run"
fi

version="$("$terraform_bin" version 2>/dev/null | sed -n '1s/^Terraform v\([0-9][0-9.]*\).*/\1/p')"
if [[ -z "$version" ]] || [[ "$(printf '%s\n%s\n' "$min_version" "$version" | sort -V | head -n1)" != "$min_version" ]]; then
  skip "terraform ${version:-of unknown version} at $terraform_bin is older than ${min_version} (the module's required_version); install Terraform >= ${min_version} and re-run"
fi

has_aws() { [[ -d "$1/registry.terraform.io/hashicorp/aws" ]]; }

mirror=""
if [[ -n "${TF_PLUGIN_MIRROR:-}" ]]; then
  has_aws "$TF_PLUGIN_MIRROR" && mirror="$(cd "$TF_PLUGIN_MIRROR" && pwd)"
elif has_aws /opt/tf-plugins; then
  mirror=/opt/tf-plugins
else
  while IFS= read -r candidate; do
    if has_aws "$candidate"; then mirror="$candidate"; break; fi
  done < <(find / -maxdepth 2 -type d -name tf-plugins 2>/dev/null)
fi
if [[ -z "$mirror" ]]; then
  skip "no provider mirror with hashicorp/aws (looked at ${TF_PLUGIN_MIRROR:-/opt/tf-plugins and /*/tf-plugins}); create one with \`terraform providers mirror /opt/tf-plugins\` in this directory on a machine that reaches registry.terraform.io, or set TF_PLUGIN_MIRROR"
fi

# --- a private, temporary Terraform environment --------------------------------------------

work="$(mktemp -d "${TMPDIR:-/tmp}/regami-dr-terraform.XXXXXXXX")" || { echo "terraform: FAIL cannot create a temporary directory"; exit 1; }
cleanup() { rm -rf -- "$work"; }
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

cat >"$work/cli.tfrc" <<EOF
provider_installation {
  filesystem_mirror {
    path    = "$mirror"
    include = ["registry.terraform.io/*/*"]
  }
  direct {
    exclude = ["registry.terraform.io/*/*"]
  }
}
EOF

# Only the module's sources: never a .terraform, a state or a lock file someone left here.
mkdir -p "$work/module" "$work/data"
tar -C "$here" --exclude=.terraform --exclude='*.tfstate' --exclude='*.tfstate.*' \
  --exclude=.terraform.lock.hcl --exclude='*.tfvars' --exclude='*.tfplan' -cf - . | tar -C "$work/module" -xf - ||
  { echo "terraform: FAIL cannot copy the module to $work"; exit 1; }

# Nothing from the caller's environment may steer these runs.
unset TF_CLI_ARGS TF_CLI_ARGS_init TF_CLI_ARGS_validate TF_CLI_ARGS_test TF_CLI_ARGS_fmt \
  TF_WORKSPACE TF_PLUGIN_CACHE_DIR TF_LOG TF_LOG_PATH TF_INPUT TF_VAR_primary_region TF_VAR_standby_region
export TF_CLI_CONFIG_FILE="$work/cli.tfrc"
export TF_DATA_DIR="$work/data"
export TF_IN_AUTOMATION=1
export CHECKPOINT_DISABLE=1
export HOME="${HOME:-$work}"

tf() { "$terraform_bin" -chdir="$work/module" "$@"; }

passed=0
failed=0
pass() { echo "terraform: PASS $*"; passed=$((passed + 1)); }
fail() { echo "terraform: FAIL $*"; failed=$((failed + 1)); }
# The tool's own words for a failed step, indented, on stderr.
details() { sed 's/^/    /' "$1" >&2; }

# --- the checks ----------------------------------------------------------------------------

if tf fmt -check -recursive -no-color >"$work/fmt.out" 2>&1; then
  pass fmt
else
  fail "fmt (not canonical: $(tr '\n' ' ' <"$work/fmt.out" | sed 's/ *$//'); run terraform fmt -recursive in deploy/terraform)"
fi

init_ok=0
if tf init -backend=false -input=false -no-color >"$work/init.out" 2>&1; then
  pass init
  init_ok=1
else
  fail init
  details "$work/init.out"
fi

if ((init_ok)); then
  if tf validate -no-color >"$work/validate.out" 2>&1; then
    pass validate
  else
    fail validate
    details "$work/validate.out"
  fi

  tf test -no-color >"$work/test.out" 2>&1
  test_rc=$?
  file="" runs=0 run_passed=0
  while IFS= read -r line; do
    if [[ "$line" =~ ^([^[:space:]].*\.tftest\.hcl)\.\.\.\ in\ progress$ ]]; then
      file="${BASH_REMATCH[1]##*/}"
    elif [[ "$line" =~ ^[[:space:]]+run\ \"([^\"]+)\"\.\.\.\ ([a-z]+)$ ]]; then
      runs=$((runs + 1))
      name="${file:+$file: }${BASH_REMATCH[1]}"
      case "${BASH_REMATCH[2]}" in
        pass) pass "test $name"; run_passed=$((run_passed + 1)) ;;
        fail) fail "test $name" ;;
        skip) fail "test $name (skipped after an earlier error)" ;;
        *) fail "test $name (${BASH_REMATCH[2]})" ;;
      esac
    fi
  done <"$work/test.out"

  summary="$(grep -E '^(Success|Failure)! [0-9]+ passed, [0-9]+ failed' "$work/test.out" | tail -n1)"
  if [[ -z "$summary" ]]; then
    fail "test (terraform test ended without its summary, exit $test_rc)"
  elif [[ "$summary" =~ ([0-9]+)\ passed ]] && ((BASH_REMATCH[1] != run_passed)); then
    fail "test (terraform test says \"$summary\", $run_passed run(s) read as passed)"
  elif ((runs == 0)); then
    fail "test (no run block was executed)"
  elif ((test_rc != 0)) && ((failed == 0)); then
    fail "test (terraform test exited $test_rc: \"$summary\")"
  fi
  if ((test_rc != 0)); then
    details "$work/test.out"
  fi
else
  fail "validate (not run: init failed)"
  fail "test (not run: init failed)"
fi

echo "terraform: $passed passed, $failed failed"
((failed == 0))
