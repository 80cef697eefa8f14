#!/usr/bin/env bash
# usage-service ledger ingest: backlog drain rate and produced-to-ledger delay at a steady rate, on loopback only.
#   bench/usage-ingest.sh [events=200000] [rate=1000] [seconds=30]
# Builds what is missing, starts PostgreSQL, an in-process Kafka broker and usage-service, runs a bounded load,
# stops everything, and writes bench/results/usage-ingest.md.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [[ ! -d "${root}/bench/target/lib" || ! -f "${root}/usage-service/target/usage-service-0.1.0-SNAPSHOT-exec.jar" ]]; then
  (cd "${root}" && ./mvnw -B -q install -DskipTests)
fi
exec java -Xmx1g -Dkeygate.root="${root}" -cp "${root}/bench/target/classes:${root}/bench/target/lib/*" \
  dev.keygate.bench.UsageIngestBenchmark "$@"
