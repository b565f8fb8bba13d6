#!/usr/bin/env bash
# The benchmark in one command: builds in Release, then runs P1–P6 and the idle figures against processes it starts
# itself (a private PostgreSQL and Redis on free loopback ports, the relay, the baselines) and prints the table.
#   bench/run.sh            the full run (about 6 minutes on 2 cores)
#   bench/run.sh --smoke    a 1–2 minute pass of every scenario, with small numbers (CI runs it; no thresholds)
# Options: --pairs N --tenants N --seconds N --warmup N --idle-connections N --reconnect-clients N --out FILE
#          --only p1,p4 (some scenarios) --trace p4 (a perf profile of that window in /tmp/bench-p4.perf.data; --trace p3: heap dumps;
#          --trace widget/sessions: a perf profile of that P5 window)
#          BENCH_STATEMENTS=1 (PostgreSQL's top statements, and plans of slow ones in /tmp/bloonio-bench-postgres.log)
#          BENCH_GCLOG=/tmp/gc (every GC pause of each server and of the load generator, with its clock, in /tmp/gc.PID)
#          BENCH_WAL=1 (P1's WAL by record type and relation, from pg_walinspect; it keeps the WAL, so new segments are
#          created rather than recycled: a run for the breakdown, not for latency)
#          BENCH_P2_RATE=n (P2 at n msg/s instead of half of P1: two versions of the relay at one rate)
#          (P2 always notes how many WAL segments were created, not recycled, during its window: each is a commit stall)
#          As root, the run sets vm.dirty_background_bytes to 32 MB and puts it back at the end (docs/operations.md);
#          BENCH_HOST_WRITEBACK=0 leaves the host as it is
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
ensure_dotnet
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then apt_install postgresql; fi
if ! command -v redis-server >/dev/null 2>&1; then apt_install redis-server; fi
dotnet build bench/Bloonio.Relay.Bench -c Release -v quiet -nologo >/dev/null
exec dotnet bench/Bloonio.Relay.Bench/bin/Release/net10.0/Bloonio.Relay.Bench.dll "$@"
