#!/usr/bin/env bash
# Runs the whole test suite against real services: installs and starts PostgreSQL, Redis, Prometheus and Chromium if needed,
# installs the npm packages of the Node end-to-end test,
# then `dotnet test` with a TRX report in TestResults/, and prints "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_dotnet
ensure_postgres
ensure_redis
ensure_prometheus
ensure_chromium
ensure_node_packages

rm -rf TestResults
status=0
# The whole solution first: `dotnet test` builds only the test projects and what they reference, and the suite also
# runs the benchmark's smoke and the relay as a process.
dotnet build Relay.sln -c Release -nologo -clp:ErrorsOnly
dotnet test Relay.sln -c Release --no-build --logger "trx;LogFileName=results.trx" --logger "console;verbosity=normal" \
  --results-directory TestResults "$@" || status=$?
scripts/test-summary.sh TestResults
exit "$status"
