#!/usr/bin/env bash
# Runs only the fault suite (relay processes against a private PostgreSQL and Redis that each test breaks itself) and
# prints its table, TestResults/faults.md. The main test command runs these too.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_dotnet
ensure_postgres
ensure_redis

rm -f TestResults/faults.md
status=0
dotnet build Relay.sln -c Release -nologo -clp:ErrorsOnly
dotnet test Bloonio.Relay.Tests -c Release --no-build --filter "Category=Faults|FullyQualifiedName~Bloonio.Relay.Tests.Faults" \
  --logger "console;verbosity=minimal" || status=$?
cat TestResults/faults.md 2>/dev/null || echo "no TestResults/faults.md: the suite did not get to its reports"
exit "$status"
