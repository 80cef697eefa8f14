#!/usr/bin/env bash
# usage-service dashboard queries over a large ledger, on loopback only.
#   bench/dashboard.sh [events=10000000] [runs=20]
# Builds what is missing, starts PostgreSQL 17, an in-process Kafka broker and usage-service (whose Flyway
# migrations create the schema), bulk-loads the ledger with SQL, builds the aggregates, checks the analytics API
# against the raw events, times every dashboard request, stops everything and writes bench/results/dashboard.md.
# Bounded: 200,000 events took 8 minutes on a busy 2-core machine (load average 12). At 10 million, estimated 30-60 minutes on
# a quiet 2-core machine (load ~5-10 min, aggregates ~10-15 min, checks over the raw rows ~3-5 min, timing at most
# ~25 min: a request's timed runs stop after 30 s) and about 12 GB free disk under java.io.tmpdir (the embedded
# server's data directory) and 3 GB RAM.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ ! -d "${root}/bench/target/lib" || ! -f "${root}/usage-service/target/usage-service-0.1.0-SNAPSHOT-exec.jar" ]]; then
  (cd "${root}" && ./mvnw -B -q install -DskipTests)
fi
exec java -Xmx1g -Dkeygate.root="${root}" -cp "${root}/bench/target/classes:${root}/bench/target/lib/*" \
  dev.keygate.bench.DashboardBenchmark "$@"
