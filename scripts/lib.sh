#!/usr/bin/env bash
# Shared by run.sh and test.sh: install and start what the relay needs, from Debian's packages, idempotently.
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

log() { printf '\033[1;34m==>\033[0m %s\n' "$*" >&2; }

apt_install() {
  if [ -z "${RELAY_APT_UPDATED:-}" ]; then
    $SUDO apt-get update -qq >/dev/null
    export RELAY_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

ensure_dotnet() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "The .NET 10 SDK is required (dotnet on PATH); see global.json for the version." >&2
    exit 1
  fi
}

# PostgreSQL from Debian, its first cluster started, and the relay role and database (relay/relay) present.
ensure_postgres() {
  if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    log "Installing PostgreSQL (Debian package)"
    apt_install postgresql
  fi
  local version cluster
  read -r version cluster _ < <(pg_lsclusters -h | head -n 1) || true
  if [ -z "${version:-}" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    cluster=main
    $SUDO pg_createcluster "$version" "$cluster" >/dev/null
  fi
  if ! pg_lsclusters -h | awk -v v="$version" -v c="$cluster" '$1==v && $2==c {print $4}' | grep -q online; then
    log "Starting PostgreSQL $version/$cluster"
    $SUDO pg_ctlcluster "$version" "$cluster" start
  fi
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
  done
  $SUDO su postgres -c "psql -q -tAc \"SELECT 1 FROM pg_roles WHERE rolname='relay'\"" | grep -q 1 \
    || $SUDO su postgres -c "psql -q -c \"CREATE ROLE relay LOGIN PASSWORD 'relay' CREATEDB\""
  $SUDO su postgres -c "psql -q -tAc \"SELECT 1 FROM pg_database WHERE datname='relay'\"" | grep -q 1 \
    || $SUDO su postgres -c "psql -q -c 'CREATE DATABASE relay OWNER relay'"
}

# Redis from Debian on 127.0.0.1:6379 (the scale-out backplane; tests of several nodes use it).
ensure_redis() {
  if ! command -v redis-server >/dev/null 2>&1; then
    log "Installing Redis (Debian package)"
    apt_install redis-server
  fi
  if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    log "Starting Redis"
    redis-server --port 6379 --bind 127.0.0.1 --daemonize yes --save "" --appendonly no >/dev/null
    for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
  fi
}

# Prometheus and promtool (Debian's package), for the observability tests: a real Prometheus scrapes the relay, and
# promtool checks the alert rules. The package's own service is not started: tests run their own instance.
ensure_prometheus() {
  if ! command -v prometheus >/dev/null 2>&1 || ! command -v promtool >/dev/null 2>&1; then
    log "Installing Prometheus (Debian package)"
    apt_install --no-install-recommends prometheus
    $SUDO systemctl disable --now prometheus >/dev/null 2>&1 || true
  fi
}

# Debian's Chromium at /usr/bin/chromium, for the browser tests (Playwright drives it; nothing is downloaded).
ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    log "Installing Chromium (Debian package)"
    apt_install chromium
  fi
}

# The npm packages the suite uses (the SignalR JavaScript client for the Node end-to-end test), from package-lock.json.
ensure_node_packages() {
  if ! command -v npm >/dev/null 2>&1; then
    log "Installing Node.js and npm (Debian packages)"
    apt_install nodejs npm
  fi
  log "Installing npm packages for the Node end-to-end test"
  (cd Bloonio.Relay.Tests/Node && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
}
