#!/usr/bin/env bash
# Runs the whole test suite against a real PostgreSQL and ends with one line:
#   N passed, N failed
# The tests start their own throwaway PostgreSQL cluster from the machine's binaries (or use
# LEDGER_TEST_CONNECTION). When the binaries are missing, this script installs Debian's
# postgresql package first, as CI runs on a fresh machine as root.
set -uo pipefail
cd "$(dirname "$0")"

have_postgres() {
  command -v initdb >/dev/null 2>&1 || compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null
}

if [ -z "${LEDGER_TEST_CONNECTION:-}" ] && ! have_postgres; then
  if [ "$(id -u)" -eq 0 ]; then
    echo "PostgreSQL binaries not found; installing Debian's postgresql package" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "PostgreSQL binaries not found: run 'sudo apt-get install postgresql'," \
         "or set LEDGER_TEST_CONNECTION to an existing server." >&2
    exit 2
  fi
fi

export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# The per-assembly summaries ("Passed!  - Failed: 0, Passed: 12, ...") are summed below, so
# the last line counts every test of every project, not just the last one.
dotnet test Ledger.sln --nologo -v quiet 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

passed=$(grep -Eo 'Passed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
failed=$(grep -Eo 'Failed: +[0-9]+' "$log" | awk '{s += $2} END {print s + 0}')
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  # The build or a test host failed before any test could report: count that as a failure.
  failed=1
fi
echo "$passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
