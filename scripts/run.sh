#!/usr/bin/env bash
# Runs the relay on http://localhost:7811 in Development: installs and starts PostgreSQL if needed, applies the
# migrations, seeds the demo tenant and prints its keys and a first curl command.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_dotnet
ensure_postgres
log "Starting the relay (Development) on http://localhost:7811"
exec dotnet run --project Bloonio.Relay.Web --launch-profile relay -- "$@"
